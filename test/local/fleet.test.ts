/**
 * The issue 13 table, re-measured as `npm run fleet` runs it: separate
 * `node functions/local/server.ts` processes ("containers"), each serving
 * one request at a time, sharing one upstream simulator (logins counted
 * there) and, with the store on, one dynalite table. The same scenarios
 * with TOKEN_TABLE unset pin today's behaviour, so the comparison is real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type Fleet, type FleetContainer, startFleet } from '../../functions/local/fleet.ts';

const CONTAINERS = 4;
const DEVICES = 24;
const TIMEOUT = 90_000;

interface Answer {
  readonly status: number;
  readonly token: string | undefined;
}

let bearer: string;

beforeAll(async () => {
  bearer = `Bearer ${await issueDevToken()}`;
});

/** Asks `baseUrl` (a container, or the front) for one device's token. */
async function ask(baseUrl: string, deviceName: string): Promise<Answer> {
  const response = await fetch(`${baseUrl}/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: bearer },
    body: JSON.stringify({ devices: [{ productKey: 'pkFleet', deviceName }] }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json()) as { tokens?: { visualToken: string }[] };
  return { status: response.status, token: body.tokens?.[0]?.visualToken };
}

/** Each container asks for every device, one request at a time, all containers at once. */
const everyContainerEveryDevice = (containers: readonly FleetContainer[], prefix: string) =>
  Promise.all(
    containers.map(async (c, k) => {
      const answers = new Map<string, Answer>();
      for (let i = 0; i < DEVICES; i += 1) {
        // A different starting point per container: some devices race, others are already in L2.
        const name = `${prefix}${(i + k * 6) % DEVICES}`;
        answers.set(name, await ask(c.url, name));
      }
      return answers;
    }),
  );

const loginsDuring = async (fleet: Fleet, act: () => Promise<unknown>) => {
  const before = fleet.simulator.logins.length;
  await act();
  return fleet.simulator.logins.length - before;
};

describe.each([
  { store: true, perDevice: '≤ 24 logins', burst: '1 login, 1 token', fresh: '0 logins' },
  { store: false, perDevice: '96 logins', burst: '4 logins, 4 tokens', fresh: '1 login' },
])('fleet of 4 local containers, store $store', ({ store, perDevice, burst, fresh }) => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ containers: CONTAINERS, port: 0, store });
  }, TIMEOUT);

  afterAll(async () => {
    await fleet?.close();
  }, TIMEOUT);

  it(
    `4 containers × 24 devices, one request at a time each: ${perDevice}`,
    async () => {
      // Prepare
      const containers = fleet.containers.slice(0, CONTAINERS);
      let answers: Map<string, Answer>[] = [];

      // Act
      const logins = await loginsDuring(fleet, async () => {
        answers = await everyContainerEveryDevice(containers, 'grid');
      });

      // Assess
      const all = answers.flatMap((a) => [...a.values()]);
      expect(all).toHaveLength(CONTAINERS * DEVICES);
      expect(all.every((a) => a.status === 200 && a.token !== undefined)).toBe(true);
      if (store) {
        expect(logins).toBeLessThanOrEqual(DEVICES);
        // One token per device, whichever container served it.
        for (const name of answers[0]?.keys() ?? []) {
          expect(new Set(answers.map((a) => a.get(name)?.token)).size, name).toBe(1);
        }
      } else {
        expect(logins).toBe(CONTAINERS * DEVICES);
      }
    },
    TIMEOUT,
  );

  it(
    `the same new device asked of 4 containers at once through the front: ${burst}`,
    async () => {
      // Prepare
      const containers = fleet.containers.slice(0, CONTAINERS);
      const issuedBefore = await Promise.all(
        containers.map(async (c) => (await c.stats()).tokensIssued ?? 0),
      );
      let answers: Answer[] = [];

      // Act
      const logins = await loginsDuring(fleet, async () => {
        answers = await Promise.all(containers.map(() => ask(fleet.url, 'burst1')));
      });

      // Assess
      expect(answers.every((a) => a.status === 200 && a.token !== undefined)).toBe(true);
      // The front gave each container one of the 4 requests.
      const issuedAfter = await Promise.all(
        containers.map(async (c) => (await c.stats()).tokensIssued ?? 0),
      );
      expect(issuedAfter.map((n, i) => n - (issuedBefore[i] ?? 0))).toEqual([1, 1, 1, 1]);
      const tokens = new Set(answers.map((a) => a.token));
      if (store) {
        expect(logins).toBe(1);
        expect(tokens.size).toBe(1);
      } else {
        expect(logins).toBe(CONTAINERS);
        expect(tokens.size).toBe(CONTAINERS);
      }
    },
    TIMEOUT,
  );

  it(
    `a fresh container asked for a device another already fetched: ${fresh}`,
    async () => {
      // Prepare
      await ask(fleet.containers[0]?.url ?? '', 'known1');
      const container = await fleet.addContainer();

      // Act
      let answer: Answer | undefined;
      const logins = await loginsDuring(fleet, async () => {
        answer = await ask(container.url, 'known1');
      });

      // Assess
      expect(answer?.status).toBe(200);
      expect(logins).toBe(store ? 0 : 1);
      expect((await container.stats()).storeHits).toBe(store ? 1 : 0);
    },
    TIMEOUT,
  );
});

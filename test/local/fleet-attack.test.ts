/**
 * The hostile review of issue 20, replayed over real `npm start` processes
 * sharing one dynalite, against an independent upstream that names the
 * account in every token (test/support/account-upstream.ts). Each case
 * failed on the tree before the fix.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type Fleet, startFleet } from '../../functions/local/fleet.ts';
import {
  type AccountUpstream,
  accountOfToken,
  startAccountUpstream,
} from '../support/account-upstream.ts';

const TIMEOUT = 90_000;
const account = (userName: string) =>
  JSON.stringify({ userName, password: `${userName}-password`, appCode: 'dev-appcode' });

let dir: string;
let secretFile: string;
let upstream: AccountUpstream;
let fleet: Fleet | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fleet-attack-'));
  secretFile = path.join(dir, 'secret.json');
});

afterEach(async () => {
  await fleet?.close();
  await upstream?.close();
  fleet = undefined;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts `containers` processes on the independent upstream, reading the secret file. */
async function start(containers: number, env: Record<string, string> = {}) {
  upstream = await startAccountUpstream(['alpha', 'beta']);
  fleet = await startFleet({
    containers,
    port: 0,
    upstreamUrl: upstream.url,
    env: { BROKER_SECRET_FILE: secretFile, ...env },
  });
  return fleet;
}

/** Asks `url` for `devices` as `sub`; the status and the tokens by device name. */
async function ask(
  url: string,
  devices: readonly string[],
  options: { readonly sub?: string; readonly refresh?: boolean } = {},
) {
  const bearer = await issueDevToken({ sub: options.sub ?? 'alice' });
  const response = await fetch(`${url}/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({
      devices: devices.map((deviceName) => ({ productKey: 'pkAttack', deviceName })),
      ...(options.refresh ? { refresh: true } : {}),
    }),
    signal: AbortSignal.timeout(20_000),
  });
  const body = (await response.json()) as {
    tokens?: { deviceName: string; visualToken: string }[];
  };
  const tokens = new Map((body.tokens ?? []).map((t) => [t.deviceName, t.visualToken]));
  return { status: response.status, tokens };
}

const accountsServed = (answers: readonly { tokens: Map<string, string> }[]) =>
  new Set(answers.flatMap((a) => [...a.tokens.values()].map(accountOfToken)));

describe('an account change', () => {
  it(
    'never serves the previous account’s tokens from L1 once the secret names another account',
    async () => {
      // Prepare
      await writeFile(secretFile, account('alpha'));
      const { containers } = await start(3, { SECRET_CACHE_SECONDS: '1' });
      const devices = Array.from({ length: 10 }, (_, i) => `l1-${i}`);
      const before = await Promise.all(containers.map((c) => ask(c.url, devices)));
      await writeFile(secretFile, account('beta'));
      await new Promise((resolve) => setTimeout(resolve, 1600));

      // Act
      const after = await Promise.all(containers.map((c) => ask(c.url, devices)));

      // Assess
      expect(accountsServed(before)).toEqual(new Set(['alpha']));
      expect(after.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(accountsServed(after)).toEqual(new Set(['beta']));
    },
    TIMEOUT,
  );

  it(
    'never serves, through L2, tokens that a refused login re-read into another account',
    async () => {
      // Prepare: p and q both hold beta's credentials, for long.
      await writeFile(secretFile, account('beta'));
      const [p, q] = (await start(2, { SECRET_CACHE_SECONDS: '300' })).containers;
      await Promise.all([p, q].map((c) => ask(c?.url ?? '', ['warm'])));
      // The secret now names alpha, and the upstream refuses beta.
      await writeFile(secretFile, account('alpha'));
      upstream.accepted.delete('beta');
      const viaP = await ask(p?.url ?? '', ['shared']);
      const loginsBefore = upstream.logins.length;

      // Act
      const viaQ = await ask(q?.url ?? '', ['shared']);

      // Assess
      expect(accountOfToken(viaP.tokens.get('shared') ?? '')).toBe('alpha');
      // q, still on beta, finds nothing under beta's key: it asks the upstream itself.
      expect(upstream.logins.length).toBeGreaterThan(loginsBefore);
      expect(upstream.logins.slice(loginsBefore)[0]?.userName).toBe('beta');
      expect(viaQ.status).toBe(200);
    },
    TIMEOUT,
  );
});

describe('the fleet-wide refresh limit', () => {
  it(
    'holds when the second token lives shorter than the stored one: 1 refresh login per interval',
    async () => {
      // Prepare
      await writeFile(secretFile, account('alpha'));
      const { containers } = await start(3, { TOKEN_REFRESH_MIN_INTERVAL_SECONDS: '30' });
      upstream.lifetimes = [3600, 1800];
      await ask(containers[0]?.url ?? '', ['cam']);
      const before = upstream.logins.length;

      // Act: each container refreshes every 200 ms for 3 s.
      const ends = Date.now() + 3000;
      const answers = await Promise.all(
        containers.map(async (c) => {
          const statuses: number[] = [];
          while (Date.now() < ends) {
            statuses.push((await ask(c.url, ['cam'], { refresh: true })).status);
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          return statuses;
        }),
      );

      // Assess
      expect(answers.flat().every((s) => s === 200)).toBe(true);
      expect(answers.flat().length).toBeGreaterThan(15);
      expect(upstream.logins.length - before).toBe(1);
    },
    TIMEOUT,
  );
});

describe('one hostile caller', () => {
  it(
    'cannot spend the enforced budget for everyone: its share runs out, others are served',
    async () => {
      // Prepare
      await writeFile(secretFile, account('alpha'));
      const { containers } = await start(2, {
        LOGIN_BUDGET_PER_HOUR: '30',
        LOGIN_BUDGET_ENFORCE: 'true',
      });
      const invented = (round: number) =>
        Array.from({ length: 50 }, (_, i) => `invented-${round}-${i}`);
      const hostile: number[] = [];
      for (let round = 0; round < 10; round += 1) {
        const url = containers[round % 2]?.url ?? '';
        hostile.push((await ask(url, invented(round), { sub: 'mallory' })).status);
      }

      // Act
      const other = await ask(containers[0]?.url ?? '', ['honest-1'], { sub: 'alice' });

      // Assess: 25% of 30 is 7 logins, two and a bit 50-device requests.
      expect(hostile.filter((s) => s === 200)).toHaveLength(2);
      expect(hostile.filter((s) => s === 429)).toHaveLength(8);
      expect(other.status).toBe(200);
      expect(upstream.logins.length).toBeLessThanOrEqual(30);
    },
    TIMEOUT,
  );

  it(
    'cannot open the shared circuit with devices the upstream refuses as unknown',
    async () => {
      // Prepare
      await writeFile(secretFile, account('alpha'));
      const { containers } = await start(2, {
        SHARED_CIRCUIT: 'true',
        CIRCUIT_BREAKER_THRESHOLD: '2',
        UPSTREAM_MAX_RETRIES: '0',
      });
      const bad = [];
      for (let i = 0; i < 4; i += 1) {
        bad.push((await ask(containers[0]?.url ?? '', [`bogus-${i}`], { sub: 'mallory' })).status);
      }

      // Act
      const others = await Promise.all(
        containers.map((c, i) => ask(c.url, [`fine-${i}`], { sub: 'alice' })),
      );

      // Assess
      expect(bad.every((s) => s === 502)).toBe(true);
      expect(others.map((o) => o.status)).toEqual([200, 200]);
    },
    TIMEOUT,
  );
});

/**
 * Nothing a request starts outlives its answer (issue 16): in Lambda a
 * container is frozen once it answers, so a store call still in flight
 * then may never be sent, and a lease it meant to release blocks the fleet.
 * Every DynamoDB request of a container is counted while in flight.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Dynalite, startDynalite } from '../../support/dynalite.ts';
import { devicesOf, startFleet } from '../../support/fleet.ts';

type Fleet = Awaited<ReturnType<typeof startFleet>>;
let fleet: Fleet | undefined;
let engine: Dynalite | undefined;
afterEach(async () => {
  await fleet?.close();
  await engine?.close();
  fleet = undefined;
});

/**
 * An engine whose clients count the requests they have in flight. The
 * circuit marker's write is held back 300 ms, as a slow store would, so a
 * request answered before it ends is caught.
 */
async function countingEngine() {
  const real = await startDynalite();
  let inFlight = 0;
  const newClient = () => {
    const client = real.newClient();
    const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { send: typeof send }).send = async (...args) => {
      inFlight += 1;
      try {
        const key = (args[0] as { input?: { Key?: { pk?: { S?: string } } } }).input?.Key?.pk?.S;
        if (key?.startsWith('c#')) await new Promise((resolve) => setTimeout(resolve, 300));
        return await send(...args);
      } finally {
        inFlight -= 1;
      }
    };
    return client;
  };
  return { engine: { ...real, newClient }, inFlight: () => inFlight };
}

describe('store calls and the answer', () => {
  it.each([
    ['a miss that leases and writes', {}, 'SG'],
    ['a failed login, whose leases are released', { fail: true }, 'FL'],
    ['a budget-counted login', { env: { LOGIN_BUDGET_PER_HOUR: '100' } }, 'BG'],
    [
      'a failed login that opens the shared circuit',
      { fail: true, env: { SHARED_CIRCUIT: 'true', CIRCUIT_BREAKER_THRESHOLD: '1' } },
      'SC',
    ],
  ])(
    'leaves no store call in flight once the answer is given: %s',
    async (_case, setup, prefix) => {
      // Prepare
      const counting = await countingEngine();
      engine = counting.engine;
      fleet = await startFleet({
        containers: 1,
        engine: counting.engine,
        env: { UPSTREAM_MAX_RETRIES: '0', ...('env' in setup ? setup.env : {}) },
      });
      if ('fail' in setup) fleet.sim.setFault({ kind: 'status-503' });
      const [container] = fleet.containers;
      const seen: number[] = [];

      // Act
      for (let i = 0; i < 5; i += 1) {
        await container?.http(devicesOf(20, `${prefix}${i}-`));
        seen.push(counting.inFlight());
      }

      // Assess
      expect(seen).toEqual([0, 0, 0, 0, 0]);
      expect(engine.requests.get('UpdateItem') ?? 0).toBeGreaterThan(0);
    },
  );
});

/**
 * The store is a cache, not a dependency: against a stopped dynalite, a
 * socket that never answers and an endpoint that throttles (real SDK, real
 * sockets), every request is still answered 200, from L1 or a direct login,
 * with a warning naming the reason and a StoreErrors metric.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../../functions/token-broker/handler.ts';
import { type Dynalite, startDynalite, TEST_TABLE } from '../../support/dynalite.ts';
import { devicesOf, endpointEngine, startFleet } from '../../support/fleet.ts';
import {
  type FaultServer,
  startHangingServer,
  startThrottlingServer,
} from '../../support/store-fault-servers.ts';

type Fleet = Awaited<ReturnType<typeof startFleet>>;
let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const endpoints: Record<string, string> = {};
let hanging: FaultServer;
let throttling: FaultServer;

beforeAll(async () => {
  const stopped = await startDynalite();
  endpoints.stopped = stopped.endpoint;
  await stopped.close();
  hanging = await startHangingServer();
  throttling = await startThrottlingServer();
  endpoints.hanging = hanging.endpoint;
  endpoints.throttling = throttling.endpoint;
});

afterAll(async () => {
  await hanging.close();
  await throttling.close();
});

// The SDK backs off longer after a throttle: a 300 ms deadline would end it first.
describe.each([
  ['stopped', 'ECONNREFUSED', 300],
  ['hanging', 'DEADLINE_EXCEEDED', 300],
  ['throttling', 'ProvisionedThroughputExceededException', 2000],
])('a %s store', (kind, reason, STORE_TIMEOUT_MS) => {
  it('fails when the store cannot be used, yet answers 200 by a direct login, then from L1', async () => {
    // Prepare
    fleet = await startFleet({
      containers: 1,
      engine: endpointEngine(endpoints[kind] as string),
      env: { TOKEN_STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS) },
    });
    const [c] = fleet.containers;
    const devices = devicesOf(2);
    const started = performance.now();

    // Act
    const cold = (await c?.http(devices)) as HttpResponse;
    const elapsed = performance.now() - started;
    const warm = (await c?.http(devices)) as HttpResponse;

    // Assess
    expect(cold.statusCode).toBe(200);
    expect(JSON.parse(cold.body ?? '{}').tokens).toHaveLength(2);
    expect(warm.statusCode).toBe(200);
    expect(fleet.logins()).toBe(1);
    const warnings = (c?.logger.lines ?? [])
      .map((l) => JSON.parse(l))
      .filter((l) => l.message === 'token store unavailable; serving without it');
    expect(warnings).toEqual([
      expect.objectContaining({ level: 'warn', operation: 'read', reason }),
    ]);
    expect(c?.count('StoreErrors')).toBe(1);
    expect(c?.count(`StoreErrors:${reason}`)).toBe(1);
    // One failed store call (its own deadline, one retry) on top of the login.
    expect(elapsed).toBeLessThan(STORE_TIMEOUT_MS + 1500);
  });
});

describe('an unusable store key', () => {
  it('fails when the key secret is too short, yet answers 200 by a direct login', async () => {
    // Prepare
    fleet = await startFleet({ containers: 1, storeKey: 'too-short' });
    const [c] = fleet.containers;
    const { engine } = fleet;
    const storeRequests = () => [...engine.requests.values()].reduce((a, b) => a + b, 0);
    const before = storeRequests();

    // Act
    const answer = (await c?.http(devicesOf(1))) as HttpResponse;

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(fleet.logins()).toBe(1);
    const warning = (c?.logger.lines ?? [])
      .map((l) => JSON.parse(l))
      .find((l) => l.message === 'token store unavailable; serving without it');
    expect(warning).toMatchObject({ operation: 'key', reason: 'CONFIGURATION_ERROR' });
    expect(storeRequests()).toBe(before);
  });
});

describe('a store that fails partway through a request', () => {
  /** An engine whose clients refuse the lease write of one device, as a throttle would. */
  const refusingLeaseOf = (engine: Dynalite, deviceName: string): Dynalite => ({
    ...engine,
    newClient() {
      const client = engine.newClient();
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { Key?: { pk?: { S?: string } }; UpdateExpression?: string };
          const lease = input.UpdateExpression?.includes('#lh = :h') ?? false;
          if (context.commandName === 'UpdateItemCommand' && lease) {
            if (input.Key?.pk?.S?.endsWith(`/${deviceName}`)) {
              throw Object.assign(new Error('throttled'), {
                name: 'ProvisionedThroughputExceededException',
              });
            }
          }
          return next(args);
        },
        { step: 'initialize', name: 'refuseOneLease' },
      );
      return client;
    },
  });

  it('fails when one lease write fails, yet leaves no lease behind for the other containers', async () => {
    // Prepare
    const engine = await startDynalite();
    const devices = devicesOf(3, 'part');
    fleet = await startFleet({ containers: 1, engine: refusingLeaseOf(engine, 'part1') });
    const [c] = fleet.containers;
    const leased = async () => {
      const { Items } = await engine.client.send(new ScanCommand({ TableName: TEST_TABLE }));
      return (Items ?? []).filter((item) => item.lu !== undefined).length;
    };

    // Act
    const answer = (await c?.http(devices)) as HttpResponse;
    let left = await leased();
    for (let i = 0; i < 20 && left > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = await leased();
    }

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(left).toBe(0);
    await engine.close();
  });
});

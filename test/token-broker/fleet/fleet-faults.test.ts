/**
 * The store is a cache, not a dependency: against a stopped dynalite, a
 * socket that never answers and an endpoint that throttles (real SDK, real
 * sockets), every request is still answered 200, from L1 or a direct login,
 * with a warning naming the reason and a StoreErrors metric.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../../functions/token-broker/handler.ts';
import { startDynalite } from '../../support/dynalite.ts';
import { devicesOf, endpointEngine, startFleet } from '../../support/fleet.ts';

type Fleet = Awaited<ReturnType<typeof startFleet>>;
let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const listen = async (server: Server | ReturnType<typeof createServer>) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const hanging = createServer();
const sockets = new Set<Socket>();
hanging.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
const throttling = createHttpServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(
      JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message: 'The level of configured provisioned throughput for the table was exceeded.',
      }),
    );
  });
});
const endpoints: Record<string, string> = {};

beforeAll(async () => {
  const stopped = await startDynalite();
  endpoints.stopped = stopped.endpoint;
  await stopped.close();
  endpoints.hanging = await listen(hanging);
  endpoints.throttling = await listen(throttling);
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  throttling.closeAllConnections();
  await new Promise((resolve) => hanging.close(resolve));
  await new Promise((resolve) => throttling.close(resolve));
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

/**
 * The browser client in Node, against the local server in-process, with a
 * recording fetch so request counts and bodies can be asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BrowserTokenClient,
  type BrowserTokenClientOptions,
  type DeviceKey,
  TokenBrokerHttpError,
} from '../../clients/browser-client.ts';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';

const A = { productKey: 'pkA', deviceName: 'cam-1' };
const B = { productKey: 'pkB', deviceName: 'cam-2' };
const UNKNOWN = { productKey: 'pkA', deviceName: 'gone' };

let dir: string;
let keyFile: URL;
let accessToken: string;
let simulator: UpstreamSimulator;
let server: LocalServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vtb-client-'));
  keyFile = pathToFileURL(join(dir, 'issuer-key.json'));
  accessToken = await issueDevToken({ keyFile });
  simulator = await startUpstreamSimulator({ unknownDevices: ['pkA/gone'] });
  server = await startLocalServer({
    metrics: NO_METRICS,
    env: { UPSTREAM_URL: simulator.url },
    port: 0,
    keyFile,
    logger: captureLogger(),
  });
});

afterAll(async () => {
  await server.close();
  await simulator.close();
  await rm(dir, { recursive: true, force: true });
});

/** A client whose fetch records the devices of every request it sends. */
function recordingClient(options: Partial<BrowserTokenClientOptions> = {}) {
  const requests: string[][] = [];
  const refreshes: boolean[] = [];
  const client = new BrowserTokenClient({
    baseUrl: `${server.url}/`,
    getBearerToken: () => accessToken,
    fetch: async (input, init) => {
      const body = JSON.parse(String(init?.body)) as { devices: DeviceKey[]; refresh?: boolean };
      requests.push(body.devices.map((d) => `${d.productKey}/${d.deviceName}`));
      refreshes.push(body.refresh === true);
      return fetch(input, init);
    },
    ...options,
  });
  return { client, requests, refreshes };
}

describe('BrowserTokenClient against the local server', () => {
  it('returns tokens in the order asked, each device once', async () => {
    // Prepare
    const { client } = recordingClient();
    // Act
    const result = await client.getTokens([B, A, B]);
    // Assess
    expect(result.failures).toEqual([]);
    expect(result.tokens.map((t) => t.deviceName)).toEqual(['cam-2', 'cam-1']);
    expect(result.tokens[0]).toMatchObject({
      ...B,
      visualToken: expect.stringMatching(/^eyJ/),
      expiresAt: expect.any(String),
    });
    expect(result.tokens[0]?.expiresIn).toBeGreaterThan(3500);
  });

  it('serves a cached token without a request while it is valid long enough', async () => {
    // Prepare
    const { client, requests } = recordingClient();
    const first = await client.getTokens([A]);
    // Act
    const second = await client.getTokens([A]);
    // Assess
    expect(requests).toEqual([['pkA/cam-1']]);
    expect(second.tokens[0]?.visualToken).toBe(first.tokens[0]?.visualToken);
  });

  it('asks again once a cached token is within minValiditySeconds of expiry', async () => {
    // Prepare
    let clock = Date.now();
    const { client, requests } = recordingClient({ now: () => clock, minValiditySeconds: 300 });
    await client.getTokens([A]);
    await client.getTokens([A]);
    // Act
    clock += (3600 - 299) * 1000;
    await client.getTokens([A]);
    // Assess
    expect(requests).toEqual([['pkA/cam-1'], ['pkA/cam-1']]);
  });

  it('shares one request among concurrent calls for the same device', async () => {
    // Prepare
    const { client, requests } = recordingClient();
    // Act
    const [one, two] = await Promise.all([client.getTokens([A]), client.getTokens([A])]);
    // Assess
    expect(requests).toEqual([['pkA/cam-1']]);
    expect(one.tokens[0]?.visualToken).toBe(two.tokens[0]?.visualToken);
  });

  it('batches devices asked for in the same task into one request', async () => {
    // Prepare
    const { client, requests } = recordingClient();
    // Act
    const [a, b] = await Promise.all([client.getTokens([A]), client.getTokens([B, A])]);
    // Assess
    expect(requests).toEqual([['pkA/cam-1', 'pkB/cam-2']]);
    expect(a.tokens.map((t) => t.deviceName)).toEqual(['cam-1']);
    expect(b.tokens.map((t) => t.deviceName)).toEqual(['cam-2', 'cam-1']);
  });

  it('splits a batch at maxBatchSize', async () => {
    // Prepare
    const { client, requests } = recordingClient();
    const devices = Array.from({ length: 120 }, (_, i) => ({
      productKey: 'pkC',
      deviceName: `cam-${i}`,
    }));
    // Act
    const result = await client.getTokens(devices);
    // Assess
    expect(requests.map((r) => r.length)).toEqual([50, 50, 20]);
    expect(result.tokens).toHaveLength(120);
  });

  it('reports devices without a token as failures, and asks for them again next time', async () => {
    // Prepare
    const { client, requests } = recordingClient();
    // Act
    const first = await client.getTokens([A, UNKNOWN]);
    const second = await client.getTokens([A, UNKNOWN]);
    // Assess
    expect(first.failures).toEqual([
      { ...UNKNOWN, code: 'UPSTREAM_NO_TOKEN', message: expect.any(String) },
    ]);
    expect(second.failures).toHaveLength(1);
    expect(requests).toEqual([['pkA/cam-1', 'pkA/gone'], ['pkA/gone']]);
  });

  it('fails when the access token is invalid, with a typed 401 error', async () => {
    // Prepare
    const { client } = recordingClient({ getBearerToken: async () => 'not-a-jwt' });
    // Act
    const error = await client.getTokens([A]).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerHttpError);
    expect(error).toMatchObject({
      name: 'TokenBrokerHttpError',
      status: 401,
      code: 'UNAUTHENTICATED',
      detail: 'The bearer token is invalid or expired',
      requestId: expect.any(String),
    });
  });

  it('fails when a device is malformed, with the field named', async () => {
    // Prepare
    const { client } = recordingClient();
    // Act
    const error = await client
      .getTokens([{ productKey: 'pk', deviceName: 'bad name' }])
      .catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
      field: 'devices[0].deviceName',
      message: expect.stringContaining('devices[0].deviceName'),
    });
  });

  it('fails every call of a failed batch, and asks again on the next call', async () => {
    // Prepare
    let token = 'expired';
    const { client, requests } = recordingClient({ getBearerToken: () => token });
    // Act
    const errors = await Promise.all([
      client.getTokens([A]).catch((e: unknown) => e),
      client.getTokens([B]).catch((e: unknown) => e),
    ]);
    token = accessToken;
    const retry = await client.getTokens([A, B]);
    // Assess
    expect(errors.map((e) => (e as TokenBrokerHttpError).code)).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
    ]);
    expect(retry.tokens).toHaveLength(2);
    expect(requests).toHaveLength(2);
  });
});

describe('BrowserTokenClient refresh', () => {
  it('sends refresh: true past its own cache, and caches the new token', async () => {
    // Prepare
    const { client, requests, refreshes } = recordingClient();
    const first = await client.getTokens([A]);
    // Act
    const refreshed = await client.getTokens([A], { refresh: true });
    const after = await client.getTokens([A]);
    // Assess
    expect(requests).toEqual([['pkA/cam-1'], ['pkA/cam-1']]);
    expect(refreshes).toEqual([false, true]);
    expect(first.tokens).toHaveLength(1);
    expect(refreshed.tokens).toHaveLength(1);
    expect(after.tokens[0]?.visualToken).toBe(refreshed.tokens[0]?.visualToken);
  });

  it('does not share a request in flight, nor batch with plain calls', async () => {
    // Prepare
    const { client, requests, refreshes } = recordingClient();
    // Act
    const [plain, refreshed] = await Promise.all([
      client.getTokens([A, B]),
      client.getTokens([A], { refresh: true }),
    ]);
    // Assess
    expect(plain.tokens).toHaveLength(2);
    expect(refreshed.tokens.map((t) => t.deviceName)).toEqual(['cam-1']);
    expect(requests).toHaveLength(2);
    expect(requests[refreshes.indexOf(true)]).toEqual(['pkA/cam-1']);
    expect(requests[refreshes.indexOf(false)]).toEqual(['pkA/cam-1', 'pkB/cam-2']);
  });

  it('sends a plain request without the refresh member', async () => {
    // Prepare
    const bodies: string[] = [];
    const client = new BrowserTokenClient({
      baseUrl: 'http://broker.test',
      getBearerToken: () => 'jwt',
      fetch: async (_input, init) => {
        bodies.push(String(init?.body));
        return Response.json({ tokens: [], failures: [] });
      },
    });
    // Act
    await client.getTokens([A]);
    // Assess
    expect(bodies.map((b) => JSON.parse(b))).toEqual([{ devices: [A] }]);
  });
});

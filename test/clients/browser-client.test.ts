/**
 * The browser client in Node, against the local server in-process, with a
 * recording fetch so request counts and bodies can be asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BrowserTokenClient,
  type BrowserTokenClientOptions,
  DEVICE_PATTERNS,
  type DeviceKey,
  TokenBrokerError,
  TokenBrokerHttpError,
} from '../../clients/browser-client.ts';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { DEVICE_NAME_PATTERN, PRODUCT_KEY_PATTERN } from '../../functions/token-broker/contract.ts';
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
    getAccessToken: () => accessToken,
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

/** A fetch that answers `response` to everything. */
const answering =
  (response: () => Response): typeof fetch =>
  async () =>
    response();

const problemResponse = (status: number, body: object, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });

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
    const { client } = recordingClient({ getAccessToken: async () => 'not-a-jwt' });
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
    const { client, requests } = recordingClient({ getAccessToken: () => token });
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

describe('BrowserTokenClient error mapping', () => {
  const client = (doFetch: typeof fetch) =>
    new BrowserTokenClient({
      baseUrl: 'http://broker.test',
      getAccessToken: () => 't',
      fetch: doFetch,
    });

  it('fails when devices are forbidden, with the devices listed', async () => {
    // Prepare
    const devices = [B];
    const doFetch = answering(() =>
      problemResponse(403, { status: 403, code: 'FORBIDDEN_DEVICE', detail: 'no', devices }),
    );
    // Act
    const error = await client(doFetch)
      .getTokens([A, B])
      .catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ status: 403, code: 'FORBIDDEN_DEVICE', devices });
  });

  it('fails when the broker is unavailable, with Retry-After in seconds', async () => {
    // Prepare
    const doFetch = answering(() =>
      problemResponse(
        503,
        { code: 'UPSTREAM_UNAVAILABLE', detail: 'later' },
        { 'retry-after': '30' },
      ),
    );
    // Act
    const error = await client(doFetch)
      .getTokens([A])
      .catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({
      status: 503,
      code: 'UPSTREAM_UNAVAILABLE',
      retryAfterSeconds: 30,
    });
  });

  it('fails when a proxy answers something other than a problem, with UNEXPECTED_RESPONSE', async () => {
    // Prepare
    const doFetch = answering(
      () =>
        new Response('<html>Bad gateway</html>', {
          status: 502,
          headers: { 'content-type': 'text/html' },
        }),
    );
    // Act
    const error = await client(doFetch)
      .getTokens([A])
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerHttpError);
    expect(error).toMatchObject({ status: 502, code: 'UNEXPECTED_RESPONSE', detail: 'HTTP 502' });
  });

  it.each([
    [401, '{"message":"Unauthorized"}', 'UNAUTHENTICATED'],
    [429, '{"message":"Too Many Requests"}', 'THROTTLED'],
  ])('fails when API Gateway itself answers %i, with %s', async (status, body, code) => {
    // Prepare
    const doFetch = answering(
      () => new Response(body, { status, headers: { 'content-type': 'application/json' } }),
    );
    // Act
    const error = await client(doFetch)
      .getTokens([A])
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerHttpError);
    expect(error).toMatchObject({ status, code });
  });

  it('fails when the broker cannot be reached, with NETWORK_ERROR and the cause kept', async () => {
    // Prepare
    const cause = new TypeError('fetch failed');
    const doFetch: typeof fetch = async () => {
      throw cause;
    };
    // Act
    const error = await client(doFetch)
      .getTokens([A])
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerError);
    expect(error).not.toBeInstanceOf(TokenBrokerHttpError);
    expect(error).toMatchObject({ name: 'TokenBrokerError', code: 'NETWORK_ERROR', cause });
  });
});

describe('BrowserTokenClient batching isolation', () => {
  /** A broker that refuses `refused` devices with 403 and issues tokens for the rest. */
  function fakeBroker(refused: readonly string[]) {
    const requests: string[][] = [];
    const doFetch: typeof fetch = async (_input, init) => {
      const { devices } = JSON.parse(String(init?.body)) as { devices: DeviceKey[] };
      const ids = devices.map((d) => `${d.productKey}/${d.deviceName}`);
      requests.push(ids);
      const forbidden = devices.filter((_, i) => refused.includes(ids[i] as string));
      if (forbidden.length > 0) {
        return problemResponse(403, { code: 'FORBIDDEN_DEVICE', detail: 'no', devices: forbidden });
      }
      const tokens = devices.map((d) => ({
        ...d,
        visualToken: 'eyJ.x.y',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        expiresIn: 3600,
      }));
      return Response.json({ tokens, failures: [] });
    };
    const client = new BrowserTokenClient({
      baseUrl: 'http://broker.test',
      getAccessToken: () => 't',
      fetch: doFetch,
    });
    return { client, requests };
  }

  it('fails only the call with a forbidden device, not the calls batched with it', async () => {
    // Prepare
    const { client, requests } = fakeBroker(['pkB/cam-2']);
    // Act
    const [a, b] = await Promise.all([
      client.getTokens([A]),
      client.getTokens([B]).catch((e: unknown) => e),
    ]);
    // Assess
    expect(a.tokens.map((t) => t.deviceName)).toEqual(['cam-1']);
    expect(b).toMatchObject({ status: 403, code: 'FORBIDDEN_DEVICE', devices: [B] });
    expect(requests).toEqual([['pkA/cam-1', 'pkB/cam-2'], ['pkA/cam-1']]);
  });

  it('fails when a device is malformed, before sending, without failing the calls batched with it', async () => {
    // Prepare
    const { client, requests } = fakeBroker([]);
    // Act
    const [a, bad] = await Promise.all([
      client.getTokens([A]),
      client.getTokens([B, { productKey: 'pk-1', deviceName: 'x' }]).catch((e: unknown) => e),
    ]);
    // Assess
    expect(a.tokens).toHaveLength(1);
    expect(bad).toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
      field: 'devices[1].productKey',
    });
    expect(requests).toEqual([['pkA/cam-1']]);
  });

  it('checks devices with the very patterns of the broker’s contract', () => {
    // Assess
    expect(DEVICE_PATTERNS.productKey).toBe(PRODUCT_KEY_PATTERN);
    expect(DEVICE_PATTERNS.deviceName).toBe(DEVICE_NAME_PATTERN);
  });

  it('fails when it throws, with the access-token provider’s own error', async () => {
    // Prepare
    const cause = new Error('session expired');
    const client = new BrowserTokenClient({
      baseUrl: 'http://broker.test',
      getAccessToken: () => {
        throw cause;
      },
      fetch: async () => Response.json({ tokens: [], failures: [] }),
    });
    // Act
    const error = await client.getTokens([A]).catch((e: unknown) => e);
    // Assess
    expect(error).toBe(cause);
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
      getAccessToken: () => 'jwt',
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

describe('browser-client bundle', () => {
  it('stays under 3 KB minified and gzipped, with no imports', async () => {
    // Act
    const result = await build({
      entryPoints: [new URL('../../clients/browser-client.ts', import.meta.url).pathname],
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      write: false,
    });
    const code = result.outputFiles[0]?.contents ?? new Uint8Array();
    const gzipped = gzipSync(code).byteLength;
    // Assess
    expect(gzipped).toBeLessThan(3 * 1024);
    expect(new TextDecoder().decode(code)).not.toMatch(/\bimport\b/);
  });
});

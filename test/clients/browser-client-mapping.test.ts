/**
 * How the browser client maps answers to errors, and how a failing device
 * stays with the call that asked for it, against scripted fetches.
 */
import { describe, expect, it } from 'vitest';
import {
  BrowserTokenClient,
  DEVICE_PATTERNS,
  type DeviceKey,
  TokenBrokerError,
  TokenBrokerHttpError,
} from '../../clients/browser-client.ts';
import { DEVICE_NAME_PATTERN, PRODUCT_KEY_PATTERN } from '../../functions/token-broker/contract.ts';
import { problemResponse } from './browser-fakes.ts';

const A = { productKey: 'pkA', deviceName: 'cam-1' };
const B = { productKey: 'pkB', deviceName: 'cam-2' };

/** A fetch that answers `response` to everything. */
const answering =
  (response: () => Response): typeof fetch =>
  async () =>
    response();

describe('BrowserTokenClient error mapping', () => {
  const client = (doFetch: typeof fetch) =>
    new BrowserTokenClient({
      baseUrl: 'http://broker.test',
      getBearerToken: () => 't',
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
      getBearerToken: () => 't',
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
});

/**
 * The browser client tries a 503 or 429 again, after the wait `Retry-After`
 * names (seconds or an HTTP date) or a backoff, within its attempts and the
 * caller's deadline; nothing else is retried.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrowserTokenClient, TokenBrokerHttpError } from '../../clients/browser-client.ts';
import { retryAfterMs } from '../../clients/retry-after.ts';
import {
  type Answer,
  problemResponse,
  scriptedFetch,
  startScriptedServer,
  tokensResponse,
} from './browser-fakes.ts';

const A = { productKey: 'pkA', deviceName: 'cam-1' };

const unavailable = (retryAfter?: string): Answer => {
  const headers: Record<string, string> =
    retryAfter === undefined ? {} : { 'retry-after': retryAfter };
  return () => problemResponse(503, { code: 'UPSTREAM_UNAVAILABLE', detail: 'later' }, headers);
};
const gateway429: Answer = () =>
  new Response('{"message":"Too Many Requests"}', {
    status: 429,
    headers: { 'content-type': 'application/json' },
  });
const ok: Answer = (devices) => tokensResponse(devices);

const clientOf = (
  doFetch: typeof fetch,
  extra: { timeoutMs?: number; maxAttempts?: number } = {},
) =>
  new BrowserTokenClient({
    baseUrl: 'http://broker.test',
    getBearerToken: () => 'jwt',
    fetch: doFetch,
    ...extra,
  });

afterEach(() => {
  vi.useRealTimers();
});

describe('BrowserTokenClient retries', () => {
  it.each([
    ['a 503 with Retry-After: 0', unavailable('0')],
    ['API Gateway’s own 429 (no Retry-After)', gateway429],
  ])('tries again after %s, and returns the tokens of the next attempt', async (_name, first) => {
    // Prepare
    const broker = scriptedFetch(first, ok);
    // Act
    const result = await clientOf(broker.fetch).getTokens([A]);
    // Assess
    expect(broker.requests).toHaveLength(2);
    expect(result.tokens.map((t) => t.deviceName)).toEqual(['cam-1']);
  });

  it('waits the seconds Retry-After names before the next attempt', async () => {
    // Prepare
    vi.useFakeTimers();
    const broker = scriptedFetch(unavailable('2'), ok);
    const pending = clientOf(broker.fetch).getTokens([A]);
    // Act
    await vi.advanceTimersByTimeAsync(1_999);
    const before = broker.requests.length;
    await vi.advanceTimersByTimeAsync(2);
    // Assess
    expect(before).toBe(1);
    expect(broker.requests).toHaveLength(2);
    expect((await pending).tokens).toHaveLength(1);
  });

  it('waits until the HTTP date Retry-After names, on the client’s clock', async () => {
    // Prepare
    const start = Date.UTC(2026, 10, 30, 12, 0, 0);
    vi.useFakeTimers({ now: start });
    const broker = scriptedFetch(unavailable(new Date(start + 3_000).toUTCString()), ok);
    const pending = clientOf(broker.fetch).getTokens([A]);
    // Act
    await vi.advanceTimersByTimeAsync(2_990);
    const before = broker.requests.length;
    await vi.advanceTimersByTimeAsync(20);
    // Assess
    expect(before).toBe(1);
    expect(broker.requests).toHaveLength(2);
    expect((await pending).tokens).toHaveLength(1);
  });

  it('backs off at most 0.5 s before the second attempt when no Retry-After is given', async () => {
    // Prepare
    vi.useFakeTimers();
    const broker = scriptedFetch(unavailable(), ok);
    const pending = clientOf(broker.fetch).getTokens([A]);
    // Act
    await vi.advanceTimersByTimeAsync(501);
    // Assess
    expect(broker.requests).toHaveLength(2);
    await pending;
  });

  it('fails when every attempt is refused, after maxAttempts requests, with the last error', async () => {
    // Prepare
    const broker = scriptedFetch(unavailable('0'));
    // Act
    const error = await clientOf(broker.fetch, { maxAttempts: 3 })
      .getTokens([A])
      .catch((e: unknown) => e);
    // Assess
    expect(broker.requests).toHaveLength(3);
    expect(error).toBeInstanceOf(TokenBrokerHttpError);
    expect(error).toMatchObject({
      status: 503,
      code: 'UPSTREAM_UNAVAILABLE',
      retryAfterSeconds: 0,
    });
  });

  it('fails at once when the wait Retry-After names ends past the caller’s deadline', async () => {
    // Prepare
    const broker = scriptedFetch(unavailable('30'), ok);
    const started = performance.now();
    // Act
    const error = await clientOf(broker.fetch, { timeoutMs: 20_000 })
      .getTokens([A])
      .catch((e: unknown) => e);
    // Assess
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(broker.requests).toHaveLength(1);
    expect(error).toMatchObject({
      status: 503,
      code: 'UPSTREAM_UNAVAILABLE',
      retryAfterSeconds: 30,
    });
  });

  it.each([
    [500, 'INTERNAL_ERROR'],
    [502, 'UPSTREAM_ERROR'],
    [504, 'UPSTREAM_TIMEOUT'],
    [401, 'UNAUTHENTICATED'],
  ])(
    'fails when the broker answers %i, after one request, without retrying',
    async (status, code) => {
      // Prepare
      const broker = scriptedFetch(() => problemResponse(status, { code, detail: 'no' }), ok);
      // Act
      const error = await clientOf(broker.fetch)
        .getTokens([A])
        .catch((e: unknown) => e);
      // Assess
      expect(broker.requests).toHaveLength(1);
      expect(error).toMatchObject({ status, code });
    },
  );

  it('reads an HTTP-date Retry-After into retryAfterSeconds when it does not retry', async () => {
    // Prepare
    const start = Date.UTC(2026, 10, 30, 12, 0, 0);
    const date = new Date(start + 90_000).toUTCString();
    const client = new BrowserTokenClient({
      baseUrl: 'http://broker.test',
      getBearerToken: () => 'jwt',
      now: () => start,
      fetch: scriptedFetch(unavailable(date)).fetch,
    });
    // Act
    const error = await client.getTokens([A]).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ status: 503, retryAfterSeconds: 90 });
  });

  it('tries again over real HTTP, with the fresh bearer token on each attempt', async () => {
    // Prepare
    const body = await tokensResponse([A]).text();
    const server = await startScriptedServer([
      {
        status: 503,
        headers: { 'retry-after': '0', 'content-type': 'application/problem+json' },
        body: '{"code":"UPSTREAM_UNAVAILABLE"}',
      },
      { status: 200, body },
    ]);
    let n = 0;
    const client = new BrowserTokenClient({
      baseUrl: server.url,
      getBearerToken: () => `jwt-${++n}`,
    });
    // Act
    const result = await client.getTokens([A]).finally(() => server.close());
    // Assess
    expect(result.tokens.map((t) => t.deviceName)).toEqual(['cam-1']);
    expect(server.requests.map((h) => h.authorization)).toEqual(['Bearer jwt-1', 'Bearer jwt-2']);
  });
});

describe('retryAfterMs', () => {
  const now = Date.UTC(2026, 10, 30, 12, 0, 0);

  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    [new Date(now + 5_000).toUTCString(), 5_000],
    [new Date(now - 5_000).toUTCString(), 0],
  ])('reads %j as %i ms', (value, ms) => {
    // Act
    const wait = retryAfterMs(value, now);
    // Assess
    expect(wait).toBe(ms);
  });

  it.each([[null], [''], ['1.5'], ['-3'], ['soon']])('fails to read %j, as undefined', (value) => {
    // Act
    const wait = retryAfterMs(value, now);
    // Assess
    expect(wait).toBeUndefined();
  });
});

/**
 * The gather window for cache misses (LOGIN_GATHER_MS): misses of requests
 * that arrive within it of the first queued miss share a login, up to
 * UPSTREAM_BATCH_SIZE devices each; hits never wait. On a fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS, ENV, loadConfig } from '../../functions/token-broker/config.ts';
import { createTokenCache } from '../../functions/token-broker/token-cache.ts';
import { brokerFor } from '../support/broker.ts';
import { fakeCredentials, fakeLoginClient } from '../support/fakes.ts';

const T0 = Date.UTC(2026, 10, 30, 12);
const dev = (n: number) => ({ productKey: 'pk1', deviceName: `dev${n}` });

const setup = (loginGatherMs: number | undefined, batch = 20) => {
  const upstream = fakeLoginClient({ now: () => T0 });
  const broker = brokerFor({
    credentials: fakeCredentials(),
    upstream,
    cache: createTokenCache(1000),
    now: () => T0,
    minTokenValiditySeconds: 300,
    upstreamBatchSize: batch,
    ...(loginGatherMs === undefined ? {} : { loginGatherMs }),
  });
  return { broker, upstream };
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('login gather window', () => {
  it('shares a login only within one event-loop turn when LOGIN_GATHER_MS is unset (Lambda)', async () => {
    // Prepare
    const { broker, upstream } = setup(undefined);
    // Act
    const first = broker.getTokens([dev(1)]);
    await vi.advanceTimersByTimeAsync(1);
    const second = broker.getTokens([dev(2)]);
    await Promise.all([first, second]);
    // Assess
    expect(upstream.calls).toEqual([['pk1/dev1'], ['pk1/dev2']]);
  });

  it('shares one login among misses arriving within LOGIN_GATHER_MS of the first', async () => {
    // Prepare
    const { broker, upstream } = setup(5);
    // Act
    const results = [broker.getTokens([dev(1)])];
    await vi.advanceTimersByTimeAsync(2);
    results.push(broker.getTokens([dev(2)]));
    await vi.advanceTimersByTimeAsync(2);
    results.push(broker.getTokens([dev(3)]));
    const before = upstream.calls.length;
    await vi.advanceTimersByTimeAsync(1);
    const done = await Promise.all(results);
    // Assess
    expect(before).toBe(0);
    expect(upstream.calls).toEqual([['pk1/dev1', 'pk1/dev2', 'pk1/dev3']]);
    expect(done.map((r) => r.tokens.length)).toEqual([1, 1, 1]);
  });

  it('starts a new window for a miss arriving after the first window closed', async () => {
    // Prepare
    const { broker, upstream } = setup(5);
    // Act
    const first = broker.getTokens([dev(1)]);
    await vi.advanceTimersByTimeAsync(6);
    const second = broker.getTokens([dev(2)]);
    await vi.advanceTimersByTimeAsync(5);
    await Promise.all([first, second]);
    // Assess
    expect(upstream.calls).toEqual([['pk1/dev1'], ['pk1/dev2']]);
  });

  it('sends a window of misses in logins of at most UPSTREAM_BATCH_SIZE devices', async () => {
    // Prepare
    const { broker, upstream } = setup(5, 2);
    // Act
    const results = [1, 2, 3, 4, 5].map((n) => broker.getTokens([dev(n)]));
    await vi.advanceTimersByTimeAsync(5);
    await Promise.all(results);
    // Assess
    expect(upstream.calls.map((c) => c.length)).toEqual([2, 2, 1]);
  });

  it('serves a cache hit without waiting for the window', async () => {
    // Prepare
    const { broker } = setup(1000);
    const warm = broker.getTokens([dev(1)]);
    await vi.advanceTimersByTimeAsync(1000);
    await warm;
    // Act
    const hit = await broker.getTokens([dev(1)]);
    // Assess
    expect(hit.tokens).toHaveLength(1);
  });
});

describe('LOGIN_GATHER_MS', () => {
  const base = { SECRET_ID: 's', UPSTREAM_URL: 'https://gateway.example.com' };

  it('defaults to 0 and reads whole milliseconds up to 1000', () => {
    // Act
    const unset = loadConfig(base);
    const set = loadConfig({ ...base, [ENV.loginGatherMs]: '1000' });
    // Assess
    expect(DEFAULTS.loginGatherMs).toBe(0);
    expect(unset.loginGatherMs).toBe(0);
    expect(set.loginGatherMs).toBe(1000);
  });

  it.each(['1001', '-1', '2.5', 'soon'])('fails when LOGIN_GATHER_MS is %s', (raw) => {
    // Act
    const load = () => loadConfig({ ...base, [ENV.loginGatherMs]: raw });
    // Assess
    expect(load).toThrow(/LOGIN_GATHER_MS must be a whole number from 0 to 1000/);
  });
});

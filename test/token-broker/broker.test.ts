import { describe, expect, it } from 'vitest';
import { createBroker, emptyStats } from '../../functions/token-broker/broker.ts';
import { UpstreamTimeoutError } from '../../functions/token-broker/errors.ts';
import { createTokenCache } from '../../functions/token-broker/token-cache.ts';
import { fakeCredentials, fakeLoginClient } from '../support/fakes.ts';

const T0 = Date.UTC(2026, 10, 21, 12);
const dev = (n: number, productKey = 'pk1') => ({ productKey, deviceName: `dev${n}` });

const setup = (overrides: { batch?: number; login?: ReturnType<typeof fakeLoginClient> } = {}) => {
  let now = T0;
  const upstream = overrides.login ?? fakeLoginClient({ now: () => now });
  const credentials = fakeCredentials();
  const broker = createBroker({
    credentials,
    upstream,
    cache: createTokenCache(1000),
    now: () => now,
    minTokenValiditySeconds: 300,
    upstreamBatchSize: overrides.batch ?? 20,
  });
  return { broker, upstream, credentials, advance: (ms: number) => (now += ms) };
};

describe('broker', () => {
  it('logs in for missing devices and returns tokens with expiry', async () => {
    // Prepare
    const { broker, upstream } = setup();
    // Act
    const result = await broker.getTokens([dev(1)]);
    // Assess
    expect(upstream.calls).toEqual([['pk1/dev1']]);
    expect(result.failures).toEqual([]);
    expect(result.tokens).toEqual([
      {
        productKey: 'pk1',
        deviceName: 'dev1',
        visualToken: expect.any(String),
        expiresAt: new Date(T0 + 3600_000).toISOString(),
        expiresIn: 3600,
      },
    ]);
  });

  it('serves cached tokens until MIN_TOKEN_VALIDITY_SECONDS before expiry', async () => {
    // Prepare
    const { broker, upstream, advance } = setup();
    await broker.getTokens([dev(1)]);
    // Act
    advance((3600 - 301) * 1000);
    const stillCached = await broker.getTokens([dev(1)]);
    advance(2000);
    const refreshed = await broker.getTokens([dev(1)]);
    // Assess
    expect(stillCached.tokens[0]?.expiresIn).toBe(301);
    expect(refreshed.tokens[0]?.expiresIn).toBe(3600);
    expect(upstream.calls).toHaveLength(2);
  });

  it('sends only cache misses upstream, in batches of UPSTREAM_BATCH_SIZE', async () => {
    // Prepare
    const { broker, upstream } = setup({ batch: 2 });
    await broker.getTokens([dev(1)]);
    const stats = emptyStats();
    // Act
    await broker.getTokens([dev(1), dev(2), dev(3), dev(4), dev(5), dev(6)], { stats });
    // Assess
    expect(upstream.calls.slice(1)).toEqual([
      ['pk1/dev2', 'pk1/dev3'],
      ['pk1/dev4', 'pk1/dev5'],
      ['pk1/dev6'],
    ]);
    expect(stats).toMatchObject({ cacheHits: 1, cacheMisses: 5, upstreamCalls: 3 });
  });

  it('reports devices the upstream returned no token for as failures', async () => {
    // Prepare
    const login = fakeLoginClient({ missing: ['pk1/dev2'], now: () => T0 });
    const { broker } = setup({ login });
    // Act
    const result = await broker.getTokens([dev(1), dev(2)]);
    // Assess
    expect(result.tokens.map((t) => t.deviceName)).toEqual(['dev1']);
    expect(result.failures).toEqual([
      {
        productKey: 'pk1',
        deviceName: 'dev2',
        code: 'UPSTREAM_NO_TOKEN',
        message: 'The upstream returned no token for this device',
      },
    ]);
  });

  it('shares one login among concurrent requests for the same device', async () => {
    // Prepare
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const login = fakeLoginClient({ gate, now: () => T0 });
    const { broker } = setup({ login });
    // Act
    const all = Promise.all(Array.from({ length: 100 }, () => broker.getTokens([dev(1)])));
    release();
    const results = await all;
    // Assess
    expect(login.calls).toHaveLength(1);
    expect(new Set(results.map((r) => r.tokens[0]?.visualToken)).size).toBe(1);
  });

  it('fails every waiter with the upstream error, and retries on the next request', async () => {
    // Prepare
    let failing = true;
    const inner = fakeLoginClient({ now: () => T0 });
    const login = {
      calls: inner.calls,
      login: (...args: Parameters<typeof inner.login>) =>
        failing ? Promise.reject(new UpstreamTimeoutError('slow')) : inner.login(...args),
    };
    const { broker } = setup({ login });
    // Act
    const failed = await Promise.allSettled([
      broker.getTokens([dev(1)]),
      broker.getTokens([dev(1)]),
    ]);
    failing = false;
    const after = await broker.getTokens([dev(1)]);
    // Assess
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(failed[0]).toMatchObject({ reason: { code: 'UPSTREAM_TIMEOUT' } });
    expect(after.tokens).toHaveLength(1);
  });
  it('logs in the misses of concurrent requests together, in batches', async () => {
    // Prepare
    const { broker, upstream } = setup({ batch: 3 });
    const statsA = emptyStats();
    const statsB = emptyStats();
    // Act
    const [a, b] = await Promise.all([
      broker.getTokens([dev(1), dev(2)], { stats: statsA }),
      broker.getTokens([dev(3), dev(4)], { stats: statsB }),
    ]);
    // Assess
    expect(upstream.calls).toEqual([['pk1/dev1', 'pk1/dev2', 'pk1/dev3'], ['pk1/dev4']]);
    expect(a.tokens.map((t) => t.deviceName)).toEqual(['dev1', 'dev2']);
    expect(b.tokens.map((t) => t.deviceName)).toEqual(['dev3', 'dev4']);
    // A batch is counted once, on the request that opened it.
    expect(statsA.upstreamCalls + statsB.upstreamCalls).toBe(2);
  });

  it('fails every request that joined a failed shared batch', async () => {
    // Prepare
    const login = fakeLoginClient({ fail: () => new UpstreamTimeoutError('slow') });
    const { broker } = setup({ login });
    // Act
    const outcomes = await Promise.allSettled([
      broker.getTokens([dev(1)]),
      broker.getTokens([dev(2)]),
    ]);
    // Assess
    expect(login.calls).toEqual([['pk1/dev1', 'pk1/dev2']]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});

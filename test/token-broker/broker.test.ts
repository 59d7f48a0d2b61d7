import { describe, expect, it } from 'vitest';
import { ConfigurationError, UpstreamTimeoutError } from '../../functions/token-broker/errors.ts';
import type { HeldToken } from '../../functions/token-broker/token.ts';
import { createTokenCache, type TokenCache } from '../../functions/token-broker/token-cache.ts';
import { emptyStats } from '../../functions/token-broker/token-source.ts';
import type {
  LoginClient,
  UpstreamToken,
} from '../../functions/token-broker/upstream/login-client.ts';
import { brokerFor } from '../support/broker.ts';
import {
  fakeCredentials,
  fakeLoginClient,
  fakeVisualToken,
  plantedCredentials,
} from '../support/fakes.ts';

const T0 = Date.UTC(2026, 10, 21, 12);
const dev = (n: number, productKey = 'pk1') => ({ productKey, deviceName: `dev${n}` });

const setup = (
  overrides: {
    batch?: number;
    login?: ReturnType<typeof fakeLoginClient>;
    cache?: TokenCache;
  } = {},
) => {
  let now = T0;
  const upstream = overrides.login ?? fakeLoginClient({ now: () => now });
  const credentials = fakeCredentials();
  const broker = brokerFor({
    credentials,
    upstream,
    cache: overrides.cache ?? createTokenCache(1000),
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

  it('serves a request whose shared batch another request aborted', async () => {
    // Prepare
    const seen: Array<AbortSignal | undefined> = [];
    const login = fakeLoginClient();
    const upstream = {
      login: (...args: Parameters<typeof login.login>) => {
        seen.push(args[2]?.signal);
        return login.login(...args);
      },
    };
    const { broker } = setup({ login: { ...login, login: upstream.login } });
    const aborted = new AbortController();
    aborted.abort();
    // Act
    const [a, b] = await Promise.allSettled([
      broker.getTokens([dev(1)], { signal: aborted.signal }),
      broker.getTokens([dev(2)]),
    ]);
    // Assess
    expect(seen).toEqual([undefined]);
    expect(b).toMatchObject({ status: 'fulfilled' });
    expect(a.status).toBe('fulfilled');
  });

  it('keeps serving cached tokens after the secret is deleted: nothing revokes them before expiry', async () => {
    // Prepare
    let deleted = false;
    const upstream = fakeLoginClient({ now: () => T0 });
    const broker = brokerFor({
      credentials: {
        get: async () => {
          if (deleted)
            throw new ConfigurationError('Secret s could not be read (ResourceNotFoundException)');
          return plantedCredentials;
        },
        refresh: async () => plantedCredentials,
      },
      upstream,
      cache: createTokenCache(1000),
      now: () => T0,
      minTokenValiditySeconds: 300,
      upstreamBatchSize: 20,
    });
    await broker.getTokens([dev(1)]);
    deleted = true;
    // Act
    const cached = await broker.getTokens([dev(1)]);
    const missed = await broker.getTokens([dev(2)]).catch((e: unknown) => e);
    // Assess
    expect(cached.tokens.map((t) => t.deviceName)).toEqual(['dev1']);
    expect(missed).toMatchObject({ code: 'CONFIGURATION_ERROR' });
    expect(upstream.calls).toEqual([['pk1/dev1']]);
  });

  describe('against a hostile upstream or a poisoned cache', () => {
    /** An upstream that answers each device with what `answer` makes of it, counting calls. */
    const scripted = (
      answer: (device: UpstreamToken['device']) => Omit<UpstreamToken, 'device'>,
    ) => {
      const calls: string[][] = [];
      const client: LoginClient & { calls: string[][] } = {
        calls,
        async login(_creds, devices) {
          calls.push(devices.map((d) => `${d.productKey}/${d.deviceName}`));
          return devices.map((device) => ({ device, ...answer(device) }));
        },
      };
      return client;
    };

    it.each([
      [
        'the JWT exp is 1e13',
        (d: UpstreamToken['device']) => ({ visualToken: fakeVisualToken(d, 1e13), expire: 3600 }),
      ],
      ['the opaque expire is 1e20', () => ({ visualToken: 'opaque-token', expire: 1e20 })],
      [
        'the JWT exp is ten years away',
        (d: UpstreamToken['device']) => ({
          visualToken: fakeVisualToken(d, T0 / 1000 + 10 * 365 * 86_400),
          expire: 3600,
        }),
      ],
      ['the expire is a string', () => ({ visualToken: 'opaque-token', expire: '3600' })],
      ['the token is 900 KB', () => ({ visualToken: 'a'.repeat(900_000), expire: 3600 })],
      ['the token holds CR/LF', () => ({ visualToken: 'abc\r\ndef', expire: 3600 })],
      ['the token holds </script>', () => ({ visualToken: 'a</script>', expire: 3600 })],
    ])(
      'fails the device alone, caches nothing, and heals with the upstream when %s',
      async (_case, answer) => {
        // Prepare
        let healed = false;
        const cache = createTokenCache(1000);
        const good = fakeLoginClient({ now: () => T0 });
        const bad = scripted(answer);
        const login = Object.assign(
          {
            login: (...args: Parameters<LoginClient['login']>) =>
              healed ? good.login(...args) : bad.login(...args),
          },
          { calls: bad.calls },
        );
        const { broker } = setup({ login, cache });
        // Act
        const poisoned = await broker.getTokens([dev(1)]);
        const cachedAfter = cache.size;
        healed = true;
        const later = await broker.getTokens([dev(1)]);
        // Assess
        expect(poisoned.tokens).toEqual([]);
        expect(poisoned.failures).toEqual([
          expect.objectContaining({ deviceName: 'dev1', code: 'UPSTREAM_INVALID_TOKEN' }),
        ]);
        expect(cachedAfter).toBe(0);
        expect(later.failures).toEqual([]);
        expect(later.tokens.map((t) => t.deviceName)).toEqual(['dev1']);
      },
    );

    it.each([
      ['an expiry Date cannot hold', { visualToken: 'opaque', expiresAt: 1e20 }],
      ['a NaN expiry', { visualToken: 'opaque', expiresAt: Number.NaN }],
      [
        'an expiry ten years away',
        { visualToken: 'opaque', expiresAt: T0 + 10 * 365 * 86_400_000 },
      ],
      [
        'a token that is not a string',
        { visualToken: 42 as unknown as string, expiresAt: T0 + 3600_000 },
      ],
      ['a token of 900 KB', { visualToken: 'a'.repeat(900_000), expiresAt: T0 + 3600_000 }],
      ['a token holding CR/LF', { visualToken: 'a\r\nb', expiresAt: T0 + 3600_000 }],
    ])('never throws when the cache holds %s, and logs in afresh instead', async (_case, value) => {
      // Prepare
      const poisoned: HeldToken = value;
      const writes: string[] = [];
      const cache: TokenCache = {
        get: () => poisoned,
        set: (key) => {
          writes.push(key);
        },
        size: 1,
        bytes: 0,
      };
      const { broker, upstream } = setup({ cache });
      // Act
      const result = await broker.getTokens([dev(1), dev(2)]);
      // Assess
      expect(result.failures).toEqual([]);
      expect(result.tokens.map((t) => t.expiresIn)).toEqual([3600, 3600]);
      expect(upstream.calls).toEqual([['pk1/dev1', 'pk1/dev2']]);
      // L1 keys carry the account's tag before the device id.
      expect(writes.map((key) => key.split('/').slice(1).join('/'))).toEqual([
        'pk1/dev1',
        'pk1/dev2',
      ]);
    });
  });
});

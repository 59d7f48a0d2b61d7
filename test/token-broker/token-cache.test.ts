import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, ENV, loadConfig } from '../../functions/token-broker/config.ts';
import {
  createTokenCache,
  ENTRY_OVERHEAD_BYTES,
  entryBytes,
} from '../../functions/token-broker/token-cache.ts';

const token = (expiresAt: number) => ({ visualToken: `t${expiresAt}`, expiresAt });

describe('token cache', () => {
  it('holds a token whatever its expiry: token.ts canServe decides what is served', () => {
    // Prepare
    const cache = createTokenCache(10);
    cache.set('a', token(10));
    // Act
    const held = cache.get('a');
    // Assess
    expect(held).toEqual(token(10));
  });

  it('evicts the least recently used entry when full', () => {
    // Prepare
    const cache = createTokenCache(2);
    cache.set('a', token(9e9));
    cache.set('b', token(9e9));
    cache.get('a');
    // Act
    cache.set('c', token(9e9));
    // Assess
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });

  it('stays bounded however many devices pass through', () => {
    // Prepare
    const cache = createTokenCache(100);
    // Act
    for (let i = 0; i < 10_000; i++) cache.set(`d${i}`, token(9e9));
    // Assess
    expect(cache.size).toBe(100);
    expect(cache.get('d9999')).toBeDefined();
    expect(cache.get('d0')).toBeUndefined();
  });

  it('fails when the size bound is not a positive integer', () => {
    expect(() => createTokenCache(0)).toThrow(RangeError);
  });

  it('evicts the least recently used entries until the byte bound holds', () => {
    // Prepare
    const per = 1000 + 1 + ENTRY_OVERHEAD_BYTES;
    const cache = createTokenCache({ maxEntries: 100, maxBytes: 3 * per });
    const big = (n: number) => ({ visualToken: 'x'.repeat(1000), expiresAt: 9e9 + n });
    cache.set('a', big(1));
    cache.set('b', big(2));
    cache.set('c', big(3));
    cache.get('a');
    // Act
    cache.set('d', big(4));
    // Assess
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(3 * per);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
  });

  it('fails when one token alone exceeds the byte bound: it is not stored, and evicts nothing', () => {
    // Prepare
    const cache = createTokenCache({ maxEntries: 10, maxBytes: 2000 });
    cache.set('a', token(9e9));
    // Act
    cache.set('huge', { visualToken: 'x'.repeat(5000), expiresAt: 9e9 });
    // Assess
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.bytes).toBe(entryBytes('a', token(9e9)));
  });

  test.prop(
    [
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 200, max: 40_000 }),
      fc.array(
        fc.record({
          key: fc.constantFrom('pk/a', 'pk/b', 'pk2/a', 'pk/c', 'pkA/d', 'pkB/e', 'p/f'),
          suffix: fc.nat({ max: 40 }),
          tokenLength: fc.oneof(
            fc.integer({ min: 1, max: 64 }),
            fc.integer({ min: 64, max: 8192 }),
            fc.integer({ min: 8192, max: 60_000 }),
          ),
          read: fc.boolean(),
        }),
        { maxLength: 200 },
      ),
    ],
    { numRuns: 200 },
  )(
    'never holds more than its byte or entry bound, under any mix of token sizes',
    (maxEntries, maxBytes, ops) => {
      // Prepare
      const cache = createTokenCache({ maxEntries, maxBytes });
      for (const op of ops) {
        const key = `${op.key}${op.suffix}`;
        // Act
        if (op.read) {
          cache.get(key);
        } else {
          const value = { visualToken: 't'.repeat(op.tokenLength), expiresAt: 9e9 };
          cache.set(key, value);
        }
        // Assess
        expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
        expect(cache.size).toBeLessThanOrEqual(maxEntries);
        expect(cache.bytes).toBeGreaterThanOrEqual(cache.size * ENTRY_OVERHEAD_BYTES);
      }
    },
  );

  it('reads TOKEN_CACHE_MAX_BYTES, 32 MiB by default, from 64 KiB to 1 GiB', () => {
    // Prepare
    const base = { SECRET_ID: 's', UPSTREAM_URL: 'https://gateway.example.com' };
    // Act
    const byDefault = loadConfig(base).tokenCacheMaxBytes;
    const set = loadConfig({ ...base, [ENV.tokenCacheMaxBytes]: '65536' }).tokenCacheMaxBytes;
    const tooSmall = () => loadConfig({ ...base, TOKEN_CACHE_MAX_BYTES: '65535' });
    const tooBig = () => loadConfig({ ...base, TOKEN_CACHE_MAX_BYTES: '1073741825' });
    // Assess
    expect(ENV.tokenCacheMaxBytes).toBe('TOKEN_CACHE_MAX_BYTES');
    expect([byDefault, DEFAULTS.tokenCacheMaxBytes, set]).toEqual([33_554_432, 33_554_432, 65_536]);
    expect(tooSmall).toThrow(
      /TOKEN_CACHE_MAX_BYTES must be a whole number from 65536 to 1073741824/,
    );
    expect(tooBig).toThrow(/TOKEN_CACHE_MAX_BYTES/);
  });
});

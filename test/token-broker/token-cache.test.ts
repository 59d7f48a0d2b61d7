import { describe, expect, it } from 'vitest';
import { createTokenCache } from '../../functions/token-broker/token-cache.ts';

const token = (expiresAt: number) => ({ visualToken: `t${expiresAt}`, expiresAt });

describe('token cache', () => {
  it('serves a token only while it has at least the minimum validity left', () => {
    // Prepare
    const cache = createTokenCache(10);
    cache.set('a', token(10_000));
    // Act
    const fresh = cache.get('a', 4_000, 6_000);
    const stale = cache.get('a', 4_001, 6_000);
    // Assess
    expect(fresh).toEqual(token(10_000));
    expect(stale).toBeUndefined();
  });

  it('evicts the least recently used entry when full', () => {
    // Prepare
    const cache = createTokenCache(2);
    cache.set('a', token(9e9));
    cache.set('b', token(9e9));
    cache.get('a', 0, 0);
    // Act
    cache.set('c', token(9e9));
    // Assess
    expect(cache.size).toBe(2);
    expect(cache.get('b', 0, 0)).toBeUndefined();
    expect(cache.get('a', 0, 0)).toBeDefined();
    expect(cache.get('c', 0, 0)).toBeDefined();
  });

  it('stays bounded however many devices pass through', () => {
    // Prepare
    const cache = createTokenCache(100);
    // Act
    for (let i = 0; i < 10_000; i++) cache.set(`d${i}`, token(9e9));
    // Assess
    expect(cache.size).toBe(100);
    expect(cache.get('d9999', 0, 0)).toBeDefined();
    expect(cache.get('d0', 0, 0)).toBeUndefined();
  });

  it('fails when the size bound is not a positive integer', () => {
    expect(() => createTokenCache(0)).toThrow(RangeError);
  });
});

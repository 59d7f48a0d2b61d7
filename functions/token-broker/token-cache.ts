/**
 * In-memory, size-bounded token cache with least-recently-used eviction.
 * A Map keeps insertion order, so re-inserting on read is all LRU needs; this
 * is why no cache library is pulled into the Lambda bundle.
 */

/** A token held in the cache. */
export interface CachedToken {
  /** The provider's token; secret, never logged. */
  readonly visualToken: string;
  /** Expiry, epoch milliseconds. */
  readonly expiresAt: number;
}

/** The cache port the broker uses. */
export interface TokenCache {
  /** The token for `key` if it is still valid for at least `minValidityMs` after `now`. */
  get(key: string, now: number, minValidityMs: number): CachedToken | undefined;
  /** Stores a token, evicting the least recently used entry when full. */
  set(key: string, token: CachedToken): void;
  /** Number of entries held. */
  readonly size: number;
}

/** Creates a cache that holds at most `maxEntries` tokens. */
export function createTokenCache(maxEntries: number): TokenCache {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError('maxEntries must be a positive integer');
  }
  const entries = new Map<string, CachedToken>();
  return {
    get(key, now, minValidityMs) {
      const token = entries.get(key);
      if (token === undefined) return undefined;
      entries.delete(key);
      if (token.expiresAt - now < minValidityMs) return undefined;
      entries.set(key, token);
      return token;
    },
    set(key, token) {
      entries.delete(key);
      entries.set(key, token);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
    },
    get size() {
      return entries.size;
    },
  };
}

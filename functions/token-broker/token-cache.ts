/**
 * In-memory token cache with least-recently-used eviction, bounded by entries
 * and by bytes: a count alone lets a few huge tokens fill the Lambda's memory.
 * A Map keeps insertion order, so re-inserting on read is all LRU needs; this
 * is why no cache library is pulled into the Lambda bundle.
 */

import type { HeldToken } from './token.ts';

/** The cache port the broker uses. */
export interface TokenCache {
  /** The token held under `key`, valid or not: token.ts `canServe` decides. */
  get(key: string): HeldToken | undefined;
  /**
   * Stores a token, evicting the least recently used entries until both
   * bounds hold. A token that alone exceeds the byte bound is not stored.
   */
  set(key: string, token: HeldToken): void;
  /** Number of entries held. */
  readonly size: number;
  /** Bytes held, as counted by {@link entryBytes}. */
  readonly bytes: number;
}

/**
 * Bytes counted per entry beyond its key and token: the Map slot, the entry
 * object and its expiry, roughly, so that many tiny entries count too.
 */
export const ENTRY_OVERHEAD_BYTES = 96;

/**
 * What one entry counts against the byte bound: key and token length plus
 * {@link ENTRY_OVERHEAD_BYTES}. Lengths are UTF-16 units, which equal bytes
 * for the ASCII keys and tokens the broker stores.
 */
export const entryBytes = (key: string, token: HeldToken): number =>
  key.length + token.visualToken.length + ENTRY_OVERHEAD_BYTES;

/** Bounds of {@link createTokenCache}. */
export interface TokenCacheLimits {
  /** Most entries held. */
  readonly maxEntries: number;
  /**
   * Most bytes held, as counted by {@link entryBytes}.
   * @default Number.POSITIVE_INFINITY
   */
  readonly maxBytes?: number;
}

/** Creates a cache that holds at most `maxEntries` tokens and `maxBytes` bytes. */
export function createTokenCache(limits: number | TokenCacheLimits): TokenCache {
  const { maxEntries, maxBytes = Number.POSITIVE_INFINITY } =
    typeof limits === 'number' ? { maxEntries: limits } : limits;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError('maxEntries must be a positive integer');
  }
  if (!(maxBytes > 0)) throw new RangeError('maxBytes must be positive');
  const entries = new Map<string, HeldToken>();
  let bytes = 0;
  const remove = (key: string): HeldToken | undefined => {
    const token = entries.get(key);
    if (token === undefined) return undefined;
    entries.delete(key);
    bytes -= entryBytes(key, token);
    return token;
  };
  return {
    get(key) {
      const token = remove(key);
      if (token === undefined) return undefined;
      entries.set(key, token);
      bytes += entryBytes(key, token);
      return token;
    },
    set(key, token) {
      remove(key);
      const size = entryBytes(key, token);
      if (size > maxBytes) return;
      entries.set(key, token);
      bytes += size;
      while (entries.size > maxEntries || bytes > maxBytes) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        remove(oldest.value);
      }
    },
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
  };
}

/**
 * The fleet-wide token store PORT: what the broker needs from the shared L2
 * cache, with no AWS in sight. One adapter implements it on DynamoDB
 * (dynamodb-token-store.ts); tests may implement it in memory.
 *
 * Every item lives in one table with a string partition key {@link PARTITION_KEY}
 * and no sort key; the kinds are told apart by the key's prefix (see
 * {@link storeKeys}). `account` is always the keyed account hash of
 * token-crypto.ts, never a user name.
 */

/** Name of the table's partition key attribute (type S). */
export const PARTITION_KEY = 'pk';

/** Name of the TTL attribute (epoch seconds); the table's TTL must be enabled on it. */
export const TTL_ATTRIBUTE = 'ttl';

/** A token as the store holds it, once decrypted. */
export interface StoredToken {
  /** The token itself; stored only as AES-GCM ciphertext. */
  readonly visualToken: string;
  /** When the token expires, epoch ms. */
  readonly expiresAt: number;
  /**
   * When the REFRESH login that produced this token happened, epoch ms;
   * absent when an ordinary miss wrote it (so it does not count against the
   * refresh interval).
   */
  readonly refreshedAt?: number;
}

/** What one {@link TokenStore.read} found. */
export interface StoreSnapshot {
  /** Readable tokens by device id, expired ones included: the caller checks validity. */
  readonly tokens: ReadonlyMap<string, StoredToken>;
  /** Devices with a live lease (`leaseUntil >= now`), whoever holds it. */
  readonly leased: ReadonlySet<string>;
  /** The fleet-wide circuit's "open until", epoch ms, when a marker exists (it may lie in the past). */
  readonly circuitOpenUntil?: number;
  /** Upstream logins counted this hour (UTC) for the account, when the counter exists. */
  readonly loginsThisHour?: number;
  /** Items that failed to decrypt or authenticate: to be treated as misses. */
  readonly unreadable: number;
}

/** Per-call context: the caller's clock reading and its request deadline. */
export interface StoreCallOptions {
  /** The caller's clock, epoch ms: leases, hours and TTLs are computed from it. */
  readonly now: number;
  /** Aborts the call (the request's own deadline); the store adds its own shorter one. */
  readonly signal?: AbortSignal;
}

/** Why and how long a lease is wanted. */
export type LeaseRequest = {
  /** Who asks: unique per process (and per flight), e.g. a random id. */
  readonly holder: string;
  /** How long the lease lives, ms; a crashed holder's lease is taken over after it. */
  readonly leaseMs: number;
} & (
  | {
      /** An ordinary miss: refused while a stored token is valid until `minValidUntil`. */
      readonly mode: 'miss';
      /** Epoch ms a stored token must outlive to count as valid. */
      readonly minValidUntil: number;
    }
  | {
      /**
       * A refresh: refused when a refresh login happened at or after
       * `refreshNotBefore`. `Number.MAX_SAFE_INTEGER` forces the lease (for
       * an item that was unreadable but claims a valid expiry).
       */
      readonly mode: 'refresh';
      /** Epoch ms: `now - TOKEN_REFRESH_MIN_INTERVAL_SECONDS * 1000`. */
      readonly refreshNotBefore: number;
    }
);

/** One token to store. */
export interface StoreEntry {
  /** The device id (`productKey/deviceName`). */
  readonly deviceId: string;
  /** The token to encrypt and store. */
  readonly token: StoredToken;
}

/**
 * The shared L2 cache, single flight, circuit and login budget. Calls reject
 * only with `TokenStoreError` (the store is unreachable, throttled or slow);
 * a lost race (condition not met) is a normal outcome, never an error.
 */
export interface TokenStore {
  /**
   * One round trip (one BatchGetItem per 100 keys) for the devices' items,
   * the account's circuit marker and this hour's login counter.
   */
  read(
    account: string,
    deviceIds: readonly string[],
    options: StoreCallOptions,
  ): Promise<StoreSnapshot>;
  /**
   * One conditional write per device, in parallel: taken when no one holds a
   * live lease and the mode's condition holds. Resolves to the ids leased.
   */
  lease(
    account: string,
    deviceIds: readonly string[],
    request: LeaseRequest,
    options: StoreCallOptions,
  ): Promise<ReadonlySet<string>>;
  /**
   * Encrypts and stores each token, sets its TTL and releases `holder`'s
   * lease in the same write. Skipped (not an error) when someone else holds
   * a live lease or a token that expires later is already stored. Resolves
   * to the ids written.
   */
  write(
    account: string,
    entries: readonly StoreEntry[],
    holder: string,
    options: StoreCallOptions,
  ): Promise<ReadonlySet<string>>;
  /** Drops `holder`'s leases (after a failed login); others' leases are left alone. */
  release(
    account: string,
    deviceIds: readonly string[],
    holder: string,
    options: StoreCallOptions,
  ): Promise<void>;
  /** Marks the account's upstream circuit open until `until` (epoch ms); never shortens it. */
  openCircuit(account: string, until: number, options: StoreCallOptions): Promise<void>;
  /** Adds `n` to this hour's login counter atomically; resolves to the new total. */
  countLogins(account: string, n: number, options: StoreCallOptions): Promise<number>;
}

/** The `yyyymmddhh` (UTC) of an epoch-ms instant: the login counter's bucket. */
export function hourBucket(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 13).replace(/[-T]/g, '');
}

/** Partition keys of the item kinds; `account` is the keyed hash. */
export const storeKeys = {
  /** A device's token and lease. */
  token: (account: string, deviceId: string) => `t#${account}#${deviceId}`,
  /** The account's circuit marker. */
  circuit: (account: string) => `c#${account}`,
  /** The account's login counter of one UTC hour. */
  budget: (account: string, epochMs: number) => `b#${account}#${hourBucket(epochMs)}`,
} as const;

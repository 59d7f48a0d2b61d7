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
import type { HeldToken } from '../token.ts';

/** Name of the table's partition key attribute (type S). */
export const PARTITION_KEY = 'pk';

/** Name of the TTL attribute (epoch seconds); the table's TTL must be enabled on it. */
export const TTL_ATTRIBUTE = 'ttl';

/** Why a stored item could not be used: counted and logged, never its content. */
export const UNREADABLE_REASONS = {
  /** The ciphertext failed to authenticate (tampered, another key, another device's item). */
  sealed: 'sealed',
  /** A field has the wrong type (a table writer's mistake or tampering). */
  typed: 'typed',
} as const;

/** A reason of {@link UNREADABLE_REASONS}. */
export type UnreadableReason = (typeof UNREADABLE_REASONS)[keyof typeof UNREADABLE_REASONS];

/** What one {@link TokenStore.read} found. */
export interface StoreSnapshot {
  /** Readable tokens by device id, expired ones included: the caller checks validity. */
  readonly tokens: ReadonlyMap<string, HeldToken>;
  /** Devices with a live lease (`leaseUntil >= now`), and who holds it. */
  readonly leased: ReadonlyMap<string, string>;
  /** The fleet-wide circuit's "open until", epoch ms, when a marker exists (it may lie in the past). */
  readonly circuitOpenUntil?: number;
  /** Upstream logins counted this hour (UTC) for the account, when the counter exists. */
  readonly loginsThisHour?: number;
  /** Items that could not be used, by reason: to be treated as misses. */
  readonly unreadable: ReadonlyMap<UnreadableReason, number>;
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
  /** Who asks: unique per process and per flight, e.g. a random id. */
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

/**
 * Each device's lease, decided on its own: one slow or failed conditional
 * write among many never takes away the leases that went through.
 */
export interface LeaseOutcomes {
  /** Leased to the caller. */
  readonly granted: ReadonlySet<string>;
  /** Someone else holds a live lease, or the mode's condition failed (a valid token is stored). */
  readonly refused: ReadonlySet<string>;
  /** The write failed or ran out of time: it may or may not have landed. */
  readonly unknown: ReadonlySet<string>;
  /** The first failure among the unknown ones, for the log. */
  readonly fault?: Error | undefined;
}

/** What one {@link TokenStore.write} came to. */
export interface WriteOutcomes {
  /** Stored (and the caller's lease released in the same write). */
  readonly written: ReadonlySet<string>;
  /** The first failure, if any write failed or ran out of time. */
  readonly fault?: Error | undefined;
}

/** One token to store. */
export interface StoreEntry {
  /** The device id (`productKey/deviceName`). */
  readonly deviceId: string;
  /** The token to encrypt and store. */
  readonly token: HeldToken;
  /**
   * Replace whatever the item holds, even a longer-lived token: a takeover
   * of an item that could not be read. A refresh's token always replaces.
   * @default false
   */
  readonly replace?: boolean;
}

/** A login reservation against the hourly budget: the account's, and one caller's share. */
export interface LoginReservation {
  /** Login calls to reserve. */
  readonly logins: number;
  /** The account's budget: refused when the hour's count would pass it. */
  readonly accountMax: number;
  /** The caller's share, when the caller is known: its keyed hash and its own maximum. */
  readonly principal?: { readonly key: string; readonly max: number };
}

/**
 * The shared L2 cache, single flight, circuit and login budget. Calls reject
 * only with `TokenStoreError` (the store is unreachable, throttled or slow);
 * a lost race (condition not met) is a normal outcome, never an error.
 * Per-device calls report per-device outcomes instead of rejecting. Every
 * call has ended, one way or the other, when its promise settles.
 */
export interface TokenStore {
  /**
   * One round trip (one BatchGetItem per 100 keys, unprocessed keys retried)
   * for the devices' items, the account's circuit marker and this hour's
   * login counter.
   */
  read(
    account: string,
    deviceIds: readonly string[],
    options: StoreCallOptions,
  ): Promise<StoreSnapshot>;
  /** One conditional write per device, in parallel; never rejects. */
  lease(
    account: string,
    deviceIds: readonly string[],
    request: LeaseRequest,
    options: StoreCallOptions,
  ): Promise<LeaseOutcomes>;
  /**
   * Encrypts and stores each token, sets its TTL and releases `holder`'s
   * lease in the same write. Skipped (not an error) when someone else holds
   * a live lease, or when a token that expires later is stored (a refresh's
   * token replaces it: the caller found the stored one rejected). Never rejects.
   */
  write(
    account: string,
    entries: readonly StoreEntry[],
    holder: string,
    options: StoreCallOptions,
  ): Promise<WriteOutcomes>;
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
  /**
   * Reserves logins against this hour's budget, atomically per counter:
   * resolves false, reserving nothing, when the account's or the caller's
   * count would pass its maximum.
   */
  reserveLogins(
    account: string,
    reservation: LoginReservation,
    options: StoreCallOptions,
  ): Promise<boolean>;
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
  /** One caller's login counter of one UTC hour; `principal` is a keyed hash. */
  principalBudget: (account: string, principal: string, epochMs: number) =>
    `b#${account}#${hourBucket(epochMs)}#${principal}`,
} as const;

/**
 * The port between the broker (L1 and in-process single flight) and what
 * lies behind it: the batched upstream login, optionally wrapped by the
 * fleet tier (L2, leases, budget, shared circuit). Calls go one way: the
 * broker calls a source, a fleet calls the source it wraps, never back.
 */
import type { DeviceFailure } from './contract.ts';
import type { DeviceKey } from './device.ts';
import { DEVICE_FAILURE_CODES } from './errors.ts';
import type { HeldToken } from './token.ts';
import type { AccountIdentity } from './upstream/upstream-account.ts';

/** What one device's lookup or login came to. */
export type Outcome =
  | {
      readonly token: HeldToken;
      /** The account whose login produced the token: it keys the token in L1 and L2. */
      readonly account: AccountIdentity;
    }
  | { readonly failure: Pick<DeviceFailure, 'code' | 'message'> };

/** The outcome of a device the upstream answered nothing for. */
export const NO_TOKEN: Outcome = {
  failure: {
    code: DEVICE_FAILURE_CODES.noToken,
    message: 'The upstream returned no token for this device',
  },
};

/** Counters of one request, for the request log line. */
export interface BrokerStats {
  /** Devices served from the cache. */
  cacheHits: number;
  /** Devices not in the cache. */
  cacheMisses: number;
  /** Login calls this request started. */
  upstreamCalls: number;
  /** HTTP attempts of those calls, retries included. */
  upstreamAttempts: number;
  /** Wall time of those calls, summed, in milliseconds. */
  upstreamMs: number;
  /** Devices served from the fleet token store (L2); only with a store. */
  storeHits?: number;
  /** Device leases this request took before logging in; only with a store. */
  leasesTaken?: number;
  /** Devices that waited for another container's login; only with a store. */
  leaseWaits?: number;
  /** Token store calls that failed (the request was served without them). */
  storeErrors?: number;
}

/** Returns a fresh counters object. */
export const emptyStats = (): BrokerStats => ({
  cacheHits: 0,
  cacheMisses: 0,
  upstreamCalls: 0,
  upstreamAttempts: 0,
  upstreamMs: 0,
});

/** One request's misses, as a source sees them. */
export interface SourceRequest {
  /** Log in again even if a token is held (rate-limited per device). */
  readonly refresh: boolean;
  /** This request's counters. */
  readonly stats: BrokerStats;
  /** The account the request's L1 lookup used: the one L2 is read under. */
  readonly account: AccountIdentity;
  /** Who asks (the JWT `sub`, or a direct invoker's name), for per-caller budgets. */
  readonly principal?: string;
  /** Aborts upstream and store work. */
  readonly signal?: AbortSignal;
  /** Epoch ms by which the request must be answered. */
  readonly deadline?: number;
}

/** Something that can produce tokens for devices missing from L1. */
export interface TokenSource {
  /**
   * An outcome per device (device ids as keys). Each promise settles with
   * the device's outcome, or rejects with a request-wide failure (an open
   * circuit, a spent budget). Every store call it starts has ended by the
   * time the last promise settles.
   */
  resolve(devices: readonly DeviceKey[], request: SourceRequest): Map<string, Promise<Outcome>>;
  /**
   * Starts reading now what `resolve(devices, request)` will need, while the
   * caller's grants are still being checked: read only, no lease, no login.
   * A later `resolve` with the same `request` object uses what was read.
   * Settles, never rejects, once the read has ended.
   */
  prefetch?(devices: readonly DeviceKey[], request: SourceRequest): Promise<void>;
}

/**
 * The fleet tier's fault policy, as a wrapper around the TokenStore port:
 * the store is a cache, so a fault is a warning and a counted metric, and
 * every call resolves to something the tier can act on (a snapshot or
 * `undefined`, per-device outcomes, a set of written ids). Latency is
 * recorded here, once, for every call.
 */
import { failureCode } from '../credentials.ts';
import type { Logger } from '../log.ts';
import { METRICS, type Metrics } from '../metrics.ts';
import type {
  LeaseOutcomes,
  LeaseRequest,
  LoginReservation,
  StoreCallOptions,
  StoreEntry,
  StoreSnapshot,
  TokenStore,
} from '../store/token-store.ts';
import { TokenStoreError } from '../store/token-store-errors.ts';
import type { BrokerStats } from '../token-source.ts';

/** The store as the fleet tier uses it: nothing rejects. */
export interface GuardedStore {
  /** The snapshot, or `undefined` after a fault. */
  read(
    account: string,
    ids: readonly string[],
    options: StoreCallOptions,
  ): Promise<StoreSnapshot | undefined>;
  /** Per-device lease outcomes; a fault makes the devices it hit `unknown`. */
  lease(
    account: string,
    ids: readonly string[],
    request: LeaseRequest,
    options: StoreCallOptions,
  ): Promise<LeaseOutcomes>;
  /** The ids written; a fault leaves its devices out. */
  write(
    account: string,
    entries: readonly StoreEntry[],
    holder: string,
    options: StoreCallOptions,
  ): Promise<ReadonlySet<string>>;
  /** Releases `holder`'s leases; a fault is logged (the leases expire). */
  release(
    account: string,
    ids: readonly string[],
    holder: string,
    options: StoreCallOptions,
  ): Promise<void>;
  /** Writes the shared circuit marker. */
  openCircuit(account: string, until: number, options: StoreCallOptions): Promise<void>;
  /** The hour's new total, or `undefined` after a fault. */
  countLogins(account: string, n: number, options: StoreCallOptions): Promise<number | undefined>;
  /** Whether the logins were reserved; `undefined` after a fault (the budget is unknown). */
  reserveLogins(
    account: string,
    reservation: LoginReservation,
    options: StoreCallOptions,
  ): Promise<boolean | undefined>;
}

/** What {@link guardStore} reports to. */
export interface StoreGuardDependencies {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
}

/** The short, secret-free reason of a store failure. */
export const storeFaultReason = (error: unknown): string => {
  if (error instanceof TokenStoreError) return error.reason;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : (failureCode(error) ?? 'UNKNOWN');
};

/** Logs and counts one store fault: a warning, since the store is a cache. */
export function reportStoreFault(
  deps: StoreGuardDependencies,
  stats: BrokerStats | undefined,
  operation: string,
  error: unknown,
): void {
  const reason = storeFaultReason(error);
  deps.logger.warn('token store unavailable; serving without it', { operation, reason });
  if (stats) stats.storeErrors = (stats.storeErrors ?? 0) + 1;
  deps.metrics.add(METRICS.storeErrors, 1, reason);
}

/** Wraps `store` for one request, whose counters are `stats`. */
export function guardStore(
  store: TokenStore,
  deps: StoreGuardDependencies,
  stats?: BrokerStats,
): GuardedStore {
  const { logger, metrics, now } = deps;
  const fault = (operation: string, error: unknown) =>
    reportStoreFault(deps, stats, operation, error);
  const timed = async <T>(operation: string, call: () => Promise<T>, onFault: T): Promise<T> => {
    const started = now();
    try {
      return await call();
    } catch (error) {
      fault(operation, error);
      return onFault;
    } finally {
      metrics.add(METRICS.storeLatency, now() - started);
    }
  };

  /** A call whose fault leaves `undefined`: the caller decides what an unknown answer means. */
  const plain =
    <K extends 'release' | 'openCircuit' | 'countLogins' | 'reserveLogins'>(operation: K) =>
    (...args: Parameters<TokenStore[K]>): Promise<Awaited<ReturnType<TokenStore[K]>> | undefined> =>
      timed<Awaited<ReturnType<TokenStore[K]>> | undefined>(
        operation,
        () =>
          (store[operation] as (...a: typeof args) => Promise<Awaited<ReturnType<TokenStore[K]>>>)(
            ...args,
          ),
        undefined,
      );

  return {
    async read(account, ids, options) {
      const snapshot = await timed('read', () => store.read(account, ids, options), undefined);
      if (snapshot !== undefined && snapshot.unreadable.size > 0) {
        const reasons = Object.fromEntries(snapshot.unreadable);
        // Counts only: an unreadable item's content is never logged.
        logger.warn('token store items unreadable', { reasons });
        for (const [reason, n] of snapshot.unreadable)
          metrics.add(METRICS.storeUnreadable, n, reason);
      }
      return snapshot;
    },
    async lease(account, ids, request, options) {
      const unknown: LeaseOutcomes = {
        granted: new Set(),
        refused: new Set(),
        unknown: new Set(ids),
      };
      const out = await timed('lease', () => store.lease(account, ids, request, options), unknown);
      if (out.fault !== undefined) fault('lease', out.fault);
      return out;
    },
    async write(account, entries, holder, options) {
      if (entries.length === 0) return new Set();
      const out = await timed('write', () => store.write(account, entries, holder, options), {
        written: new Set<string>(),
      });
      if (out.fault !== undefined) fault('write', out.fault);
      return out.written;
    },
    release: (account, ids, holder, options) =>
      ids.length === 0 ? Promise.resolve() : plain('release')(account, ids, holder, options),
    openCircuit: plain('openCircuit'),
    countLogins: plain('countLogins'),
    reserveLogins: plain('reserveLogins'),
  };
}

/**
 * One request's pass through the fleet tier, as an explicit state object:
 * what it asked for, who waits for which device, the store and account it
 * reads under, the leases it holds and the work still running. The steps
 * (fleet-steps.ts) each take a run and change only what they name.
 */
import type { DeviceKey } from '../device.ts';
import type { Logger } from '../log.ts';
import { METRICS, type Metrics } from '../metrics.ts';
import type { StoreKeys } from '../store/token-crypto.ts';
import type { StoreCallOptions, StoreSnapshot, TokenStore } from '../store/token-store.ts';
import type { BrokerStats, Outcome, SourceRequest, TokenSource } from '../token-source.ts';
import type { BudgetSettings } from './fleet-guards.ts';
import type { GuardedStore } from './guarded-store.ts';

/** The tier's settings, ms throughout. */
export interface FleetSettings {
  /** A served token must leave at least this much validity. */
  readonly minValidityMs: number;
  /** Fleet-wide, one refresh login per device per this interval. */
  readonly refreshIntervalMs: number;
  /** How long a lease lives. */
  readonly leaseMs: number;
  /** Time kept back from the deadline for a login when waiting. */
  readonly loginReserveMs: number;
  /** Once a token is in hand, the most its write and release may take. */
  readonly afterLoginStoreMs: number;
  /** Refuse at once while another container holds the circuit open. */
  readonly sharedCircuit: boolean;
  /** The circuit's own longest opening: a marker further out is clamped to it. */
  readonly circuitMaxOpenMs: number;
  /** The hourly login budget. */
  readonly budget: BudgetSettings;
}

/** What every run shares: the tier's collaborators and settings. */
export interface FleetContext {
  /** The source the tier wraps: the batched login. */
  readonly inner: TokenSource;
  /** The store for a key. */
  readonly storeFor: (keys: StoreKeys) => TokenStore;
  readonly settings: FleetSettings;
  readonly now: () => number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Uniform in [0, 1), for polling jitter. */
  readonly random: () => number;
  /** Waits `ms`, rejecting when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A lease holder id, unique per process and call. */
  readonly newHolder: () => string;
}

/** One request's state in the tier. */
export interface FleetRun {
  readonly request: SourceRequest;
  readonly stats: BrokerStats;
  /** The devices, by id. */
  readonly byId: ReadonlyMap<string, DeviceKey>;
  /** Who waits for each device's outcome. */
  readonly waiters: ReadonlyMap<string, PromiseWithResolvers<Outcome>>;
  /** The read started while the request's grants were checked, if any: it replaces the run's own. */
  readonly prefetched?: Promise<StoreSnapshot | undefined>;
  /** The store, under the fault policy. */
  readonly store: GuardedStore;
  /** The store's keys (the account hash and the caller's hash come from them). */
  readonly keys: StoreKeys;
  /** The account hash of `request.account`: what the run reads and leases under. */
  readonly account: string;
  /** The caller's keyed hash, when the caller is known. */
  readonly principalKey?: string;
  /** When the run started, epoch ms. */
  readonly started: number;
  /** Lease holders this run used: a device leased by one of them is ours. */
  readonly holders: Set<string>;
  /** Devices already force-leased once: an unusable item is taken over once, never again. */
  readonly forced: Set<string>;
  /** Logins and writes under way; all end before the run does. */
  readonly flights: Promise<void>[];
  /** Aborted when the request has failed: waiting for other holders stops at once. */
  readonly stop: AbortController;
}

/** Store call options of a run: its request's signal, and with `budgetMs` a deadline of its own. */
export function callOptions(
  ctx: FleetContext,
  run: Pick<FleetRun, 'request'>,
  budgetMs?: number,
): StoreCallOptions {
  const own = budgetMs === undefined ? undefined : AbortSignal.timeout(budgetMs);
  const given = run.request.signal;
  const signal = own && given ? AbortSignal.any([own, given]) : (own ?? given);
  return signal ? { now: ctx.now(), signal } : { now: ctx.now() };
}

/** Call options once a token is in hand: the small fixed budget of its write and release. */
export const afterLogin = (ctx: FleetContext, run: FleetRun) =>
  callOptions(ctx, run, ctx.settings.afterLoginStoreMs);

/** The devices of `ids`. */
export const devicesOf = (run: FleetRun, ids: Iterable<string>) =>
  [...ids].map((id) => run.byId.get(id) as DeviceKey);

/** Counts `n` in the run's stats field and in the metric of the same name. */
export function tally(
  ctx: FleetContext,
  run: FleetRun,
  field: 'storeHits' | 'leasesTaken' | 'leaseWaits',
  n: number,
): void {
  if (n === 0) return;
  run.stats[field] = (run.stats[field] ?? 0) + n;
  ctx.metrics.add(METRICS[field], n);
}

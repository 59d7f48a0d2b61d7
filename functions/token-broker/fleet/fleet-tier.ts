/**
 * The fleet tier: a token source wrapped around the batched login, for when
 * a token store (L2) is configured. One store read for all of a request's
 * misses; a lease per device still missing, so one container in the fleet
 * logs in for it while the others wait for its token; refreshes rate-limited
 * fleet-wide; a shared circuit and an hourly login budget. The store is a
 * cache: a fault is a warning (guarded-store.ts), and only the devices it
 * leaves undecided are logged in without the store's help.
 */
import { randomBytes } from 'node:crypto';
import { type DeviceKey, deviceId } from '../device.ts';
import type { Logger } from '../log.ts';
import { METRICS, type Metrics } from '../metrics.ts';
import { keyedId, type StoreKeys } from '../store/token-crypto.ts';
import type { StoreSnapshot, TokenStore } from '../store/token-store.ts';
import { NO_TOKEN, type Outcome, type SourceRequest, type TokenSource } from '../token-source.ts';
import type { UpstreamAccount } from '../upstream/upstream-account.ts';
import { budgetUnknown, checkBudgetSpent, checkSharedCircuit, isEnforced } from './fleet-guards.ts';
import {
  afterLogin,
  callOptions,
  type FleetContext,
  type FleetRun,
  type FleetSettings,
} from './fleet-run.ts';
import { direct, lease, loginAndWrite, serve } from './fleet-steps.ts';
import { waitFor } from './fleet-wait.ts';
import { guardStore, reportStoreFault } from './guarded-store.ts';

/** Dependencies of {@link createFleetTier}. */
export interface FleetDependencies {
  /** The source it wraps: the account's batched login. */
  readonly inner: TokenSource;
  /** The account: its breaker's openings become the shared circuit's. */
  readonly account: UpstreamAccount;
  /** The store for a key (the runtime builds the DynamoDB adapter). */
  readonly storeFor: (keys: StoreKeys) => TokenStore;
  /** The store key, cached like the credentials and read in the same round trip. */
  readonly keys: { get(): Promise<StoreKeys> };
  readonly settings: FleetSettings;
  /** Clock, epoch ms. */
  readonly now: () => number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Uniform in [0, 1), for polling jitter. */
  readonly random: () => number;
  /** Waits `ms`, rejecting when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Creates the tier.
 * @example
 * const source = createFleetTier({ inner: batchedLogin, account, storeFor, keys, settings, now, metrics, logger, random, sleep });
 */
export function createFleetTier(deps: FleetDependencies): TokenSource {
  const stores = new WeakMap<StoreKeys, TokenStore>();
  const processId = randomBytes(6).toString('base64url');
  let holders = 0;
  const ctx: FleetContext = {
    ...deps,
    storeFor: (keys) => {
      let store = stores.get(keys);
      if (store === undefined) {
        store = deps.storeFor(keys);
        stores.set(keys, store);
      }
      return store;
    },
    newHolder: () => `${processId}.${++holders}`,
  };
  const tier: Tier = { ctx, deps, active: new Set(), prefetched: new WeakMap() };
  // The breaker opens inside a run's login; the marker write joins a running
  // run's work, so it has ended before that run answers.
  deps.account.breaker.onOpen((until) => {
    const [run] = tier.active;
    if (!deps.settings.sharedCircuit || run === undefined) return;
    const opts = afterLogin(ctx, run);
    run.flights.push(run.store.openCircuit(run.account, until, opts));
  });
  return {
    prefetch: (devices, request) => prefetch(tier, devices, request),
    resolve: (devices, request) => resolve(tier, devices, request),
  };
}

/** What the runs of one tier share. */
interface Tier {
  readonly ctx: FleetContext;
  readonly deps: FleetDependencies;
  /** The runs under way. */
  readonly active: Set<FleetRun>;
  /** Reads started while a request's grants were checked, taken by its run. */
  readonly prefetched: WeakMap<SourceRequest, Promise<StoreSnapshot | undefined>>;
}

/** Reads what `request` misses while its grants are checked; the run takes the read over. */
function prefetch(tier: Tier, devices: readonly DeviceKey[], request: SourceRequest) {
  const { ctx, deps } = tier;
  return deps.keys.get().then(
    (keys) => {
      const read = guardStore(ctx.storeFor(keys), deps, request.stats).read(
        keyedId(keys.hashKey, request.account.identity),
        devices.map(deviceId),
        callOptions(ctx, { request }),
      );
      tier.prefetched.set(request, read);
      return read.then(() => {});
    },
    // The run reads the key again, and reports it.
    () => {},
  );
}

/** Starts the run of `request`; each device's outcome settles once the run has ended. */
function resolve(tier: Tier, devices: readonly DeviceKey[], request: SourceRequest) {
  const byId = new Map(devices.map((d) => [deviceId(d), d]));
  const waiters = new Map(devices.map((d) => [deviceId(d), Promise.withResolvers<Outcome>()]));
  const done = (async () => {
    const run = await open(tier, request, byId, waiters);
    if (run !== undefined) return complete(tier, run);
    // No store key: the store cannot be used at all, nor an enforced
    // budget read, which then fails closed unless its rule says open.
    const { budget } = tier.ctx.settings;
    if (isEnforced(budget) && budget.onStoreFault !== 'open') {
      tier.ctx.metrics.add(METRICS.budgetExceeded, devices.length);
      throw budgetUnknown();
    }
    // A waiter resolved with a pending outcome follows it, whatever settles it later.
    for (const [id, outcome] of tier.deps.inner.resolve(devices, request)) {
      waiters.get(id)?.resolve(outcome);
    }
  })();
  // Settled waiters ignore this; the rest fail as a failed login would.
  const ended = done.then(
    () => {
      // A device no step settled (a bug) fails as "no token", never hangs.
      for (const waiter of waiters.values()) waiter.resolve(NO_TOKEN);
    },
    (error: unknown) => {
      for (const waiter of waiters.values()) waiter.reject(error);
    },
  );
  // Each outcome is handed over once the run has ended, so that no store
  // call it started is still in flight when the broker answers.
  return new Map([...waiters].map(([id, waiter]) => [id, waiter.promise.finally(() => ended)]));
}

/** The run of `request`, or `undefined` when the store key cannot be read. */
async function open(
  tier: Tier,
  request: SourceRequest,
  byId: FleetRun['byId'],
  waiters: FleetRun['waiters'],
): Promise<FleetRun | undefined> {
  const { ctx, deps } = tier;
  let keys: StoreKeys;
  try {
    keys = await deps.keys.get();
  } catch (error) {
    reportStoreFault(deps, request.stats, 'key', error);
    return undefined;
  }
  const { principal } = request;
  const early = tier.prefetched.get(request);
  tier.prefetched.delete(request);
  return {
    request,
    ...(early === undefined ? {} : { prefetched: early }),
    stats: request.stats,
    byId,
    waiters,
    store: guardStore(ctx.storeFor(keys), deps, request.stats),
    keys,
    account: keyedId(keys.hashKey, request.account.identity),
    ...(principal === undefined
      ? {}
      : { principalKey: keyedId(keys.hashKey, `principal:${principal}`) }),
    started: deps.now(),
    holders: new Set(),
    forced: new Set(),
    flights: [],
    stop: new AbortController(),
  };
}

/** Runs the steps of `run`, and waits for everything it started. */
async function complete(tier: Tier, run: FleetRun) {
  tier.active.add(run);
  try {
    await runSteps(tier.ctx, run);
  } finally {
    // Nothing this request started may outlive its answer; a flight may start another.
    while (run.flights.length > 0) await Promise.allSettled(run.flights.splice(0));
    tier.active.delete(run);
  }
}

/** The steps of one run: read, serve, guards, lease, then log in what we hold and wait for the rest. */
async function runSteps(ctx: FleetContext, run: FleetRun): Promise<void> {
  const ids = [...run.byId.keys()];
  const snapshot = await (run.prefetched ??
    run.store.read(run.account, ids, callOptions(ctx, run)));
  if (snapshot === undefined) {
    await direct(ctx, run, ids);
    return;
  }
  const missing = serve(ctx, run, snapshot.tokens, ids);
  if (missing.length === 0) return;
  ctx.metrics.add(METRICS.storeMisses, missing.length);
  const at = ctx.now();
  if (ctx.settings.sharedCircuit) {
    try {
      checkSharedCircuit(snapshot, at, ctx.settings.circuitMaxOpenMs);
    } catch (error) {
      ctx.metrics.add(METRICS.sharedCircuitRefusals);
      throw error;
    }
  }
  if (ctx.settings.budget.perHour > 0 && snapshot.loginsThisHour !== undefined) {
    ctx.metrics.add(METRICS.fleetLoginsThisHour, snapshot.loginsThisHour);
    try {
      checkBudgetSpent(snapshot, ctx.settings.budget, at);
    } catch (error) {
      ctx.metrics.add(METRICS.budgetExceeded, missing.length);
      throw error;
    }
  }
  const first = await lease(ctx, run, missing, false);
  const flight = loginAndWrite(ctx, run, [...first.granted], first.holder);
  flight.catch(() => {});
  run.flights.push(flight);
  const rest = [...first.refused, ...first.unknown];
  if (rest.length > 0) {
    await waitFor(ctx, run, rest, new Set(rest.filter((id) => snapshot.leased.has(id))));
  }
}

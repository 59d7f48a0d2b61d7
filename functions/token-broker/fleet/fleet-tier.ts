/**
 * The fleet tier: what an in-process (L1) miss goes through when a token
 * store (L2) is configured. One store read for all of a request's misses;
 * a lease per device still missing, so one container in the fleet logs in
 * for it while the others wait for its token; refreshes rate-limited
 * fleet-wide; a shared circuit and an hourly login budget. Written against
 * the TokenStore port only. The store is a cache: any store fault is a
 * warning, and the request is served by a direct login.
 */
import { randomBytes } from 'node:crypto';
import { type BrokerStats, NO_TOKEN as NO_OUTCOME, type Outcome } from '../broker.ts';
import type { Credentials } from '../credentials.ts';
import { type DeviceKey, deviceId } from '../device.ts';
import { UpstreamBudgetExceededError, UpstreamUnavailableError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { METRICS, type Metrics } from '../metrics.ts';
import { accountKey, type StoreKeys } from '../store/token-crypto.ts';
import type {
  LeaseRequest,
  StoreCallOptions,
  StoredToken,
  TokenStore,
} from '../store/token-store.ts';
import { TokenStoreError } from '../store/token-store-errors.ts';
import type { CachedToken, TokenCache } from '../token-cache.ts';
import { checkToken } from '../upstream/token-expiry.ts';
import { pollDelayMs, waitBudget } from './lease-wait.ts';

/** What a fleet request hands the tier: its counters, limits and how to log in. */
export interface FleetRequest {
  /** Log in again even if the store holds a token (rate-limited fleet-wide). */
  readonly refresh: boolean;
  /** This request's counters. */
  readonly stats: BrokerStats;
  /** Aborts store calls and waits. */
  readonly signal?: AbortSignal;
  /** Epoch ms by which the request must be answered. */
  readonly deadline?: number;
  /** Logs in upstream for `devices` (batched by the broker); refresh logins carry `refreshedAt`. */
  readonly login: (devices: readonly DeviceKey[]) => Promise<ReadonlyMap<string, Outcome>>;
}

/** Dependencies and settings of {@link createFleetTier}. */
export interface FleetDependencies {
  /** The store for a key (the runtime builds the DynamoDB adapter). */
  readonly storeFor: (keys: StoreKeys) => TokenStore;
  /** The store key, cached like the credentials and read in the same round trip. */
  readonly keys: { get(): Promise<StoreKeys> };
  /** The developer credentials: the account part of every key. */
  readonly credentials: { get(): Promise<Credentials> };
  /** L1, filled from L2. */
  readonly cache: TokenCache;
  /** Clock, epoch ms. */
  readonly now: () => number;
  /** Where the tier's counters go. */
  readonly metrics: Metrics;
  /** Where store faults are reported. */
  readonly logger: Logger;
  /** A served token must leave at least this much validity, ms. */
  readonly minValidityMs: number;
  /** Fleet-wide, one refresh login per device per this interval, ms. */
  readonly refreshIntervalMs: number;
  /** How long a lease lives, ms. */
  readonly leaseMs: number;
  /** Time kept back from the deadline for a direct login when waiting, ms. */
  readonly loginReserveMs: number;
  /** Refuse at once while another container holds the circuit open. */
  readonly sharedCircuit: boolean;
  /** Logins per account per UTC hour; 0 counts nothing. */
  readonly loginBudgetPerHour: number;
  /** Past the budget, misses are refused. */
  readonly loginBudgetEnforce: boolean;
  /** Uniform in [0, 1), for polling jitter. */
  readonly random: () => number;
  /** Waits `ms`, rejecting when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The fleet tier the broker calls on L1 misses. */
export interface FleetTier {
  /** An outcome per device of `devices` (ids as keys), settled through L2, leases and logins. */
  resolve(devices: readonly DeviceKey[], request: FleetRequest): Map<string, Promise<Outcome>>;
  /** Counts one upstream login call in the hourly budget (never rejects). */
  countLogin(): Promise<void>;
  /** Writes the shared circuit marker (never rejects). */
  openCircuit(until: number): Promise<void>;
}

const FAULT = Symbol('store fault');
type Opened = { readonly store: TokenStore; readonly account: string };
const HOUR_MS = 3_600_000;

type Tallied = 'storeHits' | 'leasesTaken' | 'leaseWaits' | 'storeErrors';

/** Creates the tier. */
export function createFleetTier(deps: FleetDependencies): FleetTier {
  const { now, metrics, cache, minValidityMs } = deps;
  const stores = new WeakMap<StoreKeys, TokenStore>();
  const processId = randomBytes(6).toString('base64url');
  let holders = 0;
  const newHolder = () => `${processId}.${++holders}`;
  let last: Opened | undefined;
  let accountOf: { creds: Credentials; keys: StoreKeys; account: string } | undefined;

  /** Counts `n` in the request's stats and in the metric of the same name. */
  const tally = (stats: BrokerStats | undefined, field: Tallied, n = 1, code?: string) => {
    if (stats) stats[field] = (stats[field] ?? 0) + n;
    metrics.add(METRICS[field], n, code);
  };

  const fault = (operation: string, error: unknown, stats?: BrokerStats) => {
    const reason =
      error instanceof TokenStoreError
        ? error.reason
        : String((error as { code?: unknown } | null)?.code ?? (error as Error)?.name);
    deps.logger.warn('token store unavailable; serving without it', { operation, reason });
    tally(stats, 'storeErrors', 1, reason);
  };

  /** Runs one store call: latency recorded, a fault logged and turned into {@link FAULT}. */
  const use = async <T>(
    operation: string,
    call: () => Promise<T>,
    stats?: BrokerStats,
  ): Promise<T | typeof FAULT> => {
    const started = now();
    try {
      return await call();
    } catch (error) {
      fault(operation, error, stats);
      return FAULT;
    } finally {
      metrics.add(METRICS.storeLatency, now() - started);
    }
  };

  /** The store and account for the current key and credentials, read in one round trip. */
  const open = async (stats?: BrokerStats): Promise<Opened | undefined> => {
    const [creds, keys] = await Promise.all([
      deps.credentials.get(),
      deps.keys.get().catch((error: unknown) => {
        fault('key', error, stats);
        return undefined;
      }),
    ]);
    if (keys === undefined) return undefined;
    let store = stores.get(keys);
    if (store === undefined) {
      store = deps.storeFor(keys);
      stores.set(keys, store);
    }
    if (accountOf?.creds !== creds || accountOf.keys !== keys) {
      accountOf = { creds, keys, account: accountKey(keys.hashKey, creds) };
    }
    last = { store, account: accountOf.account };
    return last;
  };

  return {
    resolve(devices, request) {
      const waiters = new Map(devices.map((d) => [deviceId(d), Promise.withResolvers<Outcome>()]));
      run(devices, request, waiters).catch((error: unknown) => {
        // Settled ones ignore this; the rest fail as a failed login would.
        for (const waiter of waiters.values()) waiter.reject(error);
      });
      return new Map([...waiters].map(([id, waiter]) => [id, waiter.promise]));
    },

    async countLogin() {
      if (deps.loginBudgetPerHour <= 0) return;
      const opened = await open().catch(() => undefined);
      if (opened === undefined) return;
      const { account } = opened;
      const total = await use('countLogins', () =>
        opened.store.countLogins(account, 1, { now: now() }),
      );
      if (total !== FAULT) metrics.add(METRICS.fleetLoginsThisHour, total);
    },

    async openCircuit(until) {
      if (!deps.sharedCircuit || last === undefined) return;
      const { store, account } = last;
      await use('openCircuit', () => store.openCircuit(account, until, { now: now() }));
    },
  };

  async function run(
    devices: readonly DeviceKey[],
    request: FleetRequest,
    waiters: Map<string, PromiseWithResolvers<Outcome>>,
  ): Promise<void> {
    const { stats, refresh, signal } = request;
    const byId = new Map(devices.map((d) => [deviceId(d), d]));
    const settle = (id: string, outcome: Outcome) => waiters.get(id)?.resolve(outcome);
    const callOptions = (): StoreCallOptions => ({ now: now(), ...(signal ? { signal } : {}) });
    const direct = async (ids: readonly string[]) => {
      if (ids.length === 0) return;
      const out = await request.login(ids.map((id) => byId.get(id) as DeviceKey));
      for (const id of ids) settle(id, out.get(id) ?? NO_OUTCOME);
    };

    const opened = await open(stats);
    if (opened === undefined) return direct([...byId.keys()]);
    const { store, account } = opened;
    const start = now();
    const refreshNotBefore = start - deps.refreshIntervalMs;

    /** The stored token if it may be served to this request, re-checked as an upstream answer is. */
    const accept = (id: string, token: StoredToken | undefined): CachedToken | undefined => {
      if (token === undefined) return undefined;
      if (refresh && !((token.refreshedAt ?? -Infinity) >= refreshNotBefore)) return undefined;
      const at = now();
      const check = checkToken(
        byId.get(id) as DeviceKey,
        token.visualToken,
        (token.expiresAt - at) / 1000,
        at,
      );
      if (!check.ok || check.expiresAt - at < minValidityMs) return undefined;
      return token;
    };

    /** Serves what the snapshot holds; returns the ids still without a token. */
    const serve = (tokens: ReadonlyMap<string, StoredToken>, ids: readonly string[]) =>
      ids.filter((id) => {
        const token = accept(id, tokens.get(id));
        if (token === undefined) return true;
        cache.set(id, token);
        tally(stats, 'storeHits');
        settle(id, { token });
        return false;
      });

    /** Logs in for `ids`, writes the tokens (releasing the leases), then answers. */
    const loginAndWrite = async (ids: readonly string[], holder: string) => {
      if (ids.length === 0) return;
      let out: ReadonlyMap<string, Outcome>;
      try {
        out = await request.login(ids.map((id) => byId.get(id) as DeviceKey));
      } catch (error) {
        await use('release', () => store.release(account, ids, holder, callOptions()), stats);
        // These fail now, not when the other devices' waits are over.
        for (const id of ids) waiters.get(id)?.reject(error);
        throw error;
      }
      const entries = ids.flatMap((id) => {
        const outcome = out.get(id);
        return outcome !== undefined && 'token' in outcome
          ? [{ deviceId: id, token: outcome.token }]
          : [];
      });
      // Written before answering: a Lambda frozen after its answer would leave the lease hanging.
      const written = await use(
        'write',
        () => store.write(account, entries, holder, callOptions()),
        stats,
      );
      const unwritten = ids.filter((id) => written === FAULT || !written.has(id));
      // After a write fault too: a lease left behind holds every other
      // container's request for the device until it expires.
      if (unwritten.length > 0) {
        await use('release', () => store.release(account, unwritten, holder, callOptions()), stats);
      }
      for (const id of ids) settle(id, out.get(id) ?? NO_OUTCOME);
    };

    const lease = async (ids: readonly string[], forced: boolean) => {
      const holder = newHolder();
      const wanted: LeaseRequest =
        refresh || forced
          ? {
              holder,
              leaseMs: deps.leaseMs,
              mode: 'refresh',
              refreshNotBefore: forced ? Number.MAX_SAFE_INTEGER : refreshNotBefore,
            }
          : { holder, leaseMs: deps.leaseMs, mode: 'miss', minValidUntil: now() + minValidityMs };
      const taken = await use(
        'lease',
        () => store.lease(account, ids, wanted, callOptions()),
        stats,
      );
      if (taken === FAULT) {
        // Some leases may have gone through before the fault; not awaited, so
        // the direct login that follows is not delayed by a failing store.
        void use('release', () => store.release(account, ids, holder, callOptions()));
        return FAULT;
      }
      tally(stats, 'leasesTaken', taken.size);
      return { holder, taken };
    };

    const snapshot = await use(
      'read',
      () => store.read(account, [...byId.keys()], callOptions()),
      stats,
    );
    if (snapshot === FAULT) return direct([...byId.keys()]);
    const missing = serve(snapshot.tokens, [...byId.keys()]);
    if (missing.length === 0) return;
    metrics.add(METRICS.storeMisses, missing.length);
    const at = now();
    if (deps.sharedCircuit && (snapshot.circuitOpenUntil ?? 0) > at) {
      metrics.add(METRICS.sharedCircuitRefusals);
      throw new UpstreamUnavailableError(
        'The upstream circuit is open fleet-wide',
        Math.max(1, Math.ceil(((snapshot.circuitOpenUntil ?? at) - at) / 1000)),
      );
    }
    if (deps.loginBudgetPerHour > 0 && snapshot.loginsThisHour !== undefined) {
      metrics.add(METRICS.fleetLoginsThisHour, snapshot.loginsThisHour);
      if (deps.loginBudgetEnforce && snapshot.loginsThisHour >= deps.loginBudgetPerHour) {
        metrics.add(METRICS.budgetExceeded, missing.length);
        const nextHour = (Math.floor(at / HOUR_MS) + 1) * HOUR_MS;
        throw new UpstreamBudgetExceededError(
          `The hourly upstream login budget (${deps.loginBudgetPerHour}) is spent`,
          Math.max(1, Math.ceil((nextHour - at) / 1000)),
        );
      }
    }

    const first = await lease(missing, false);
    if (first === FAULT) return direct(missing);
    const flights: Promise<void>[] = [];
    // Handled at once: a flight may fail while the loop below still sleeps.
    const fly = (flight: Promise<void>) => {
      flight.catch(() => {});
      flights.push(flight);
    };
    fly(loginAndWrite([...first.taken], first.holder));
    let waiting = missing.filter((id) => !first.taken.has(id));
    const seenLeased = new Set(waiting.filter((id) => snapshot.leased.has(id)));
    if (waiting.length > 0) tally(stats, 'leaseWaits', waiting.length);
    const until = waitBudget(start, request.deadline, deps.leaseMs, deps.loginReserveMs);
    for (let round = 0; waiting.length > 0; round++) {
      const pause = pollDelayMs(round, deps.random);
      if (now() + pause >= until) {
        // Too near the deadline to wait: a served request beats a perfect count.
        fly(loginAndWrite(waiting, newHolder()));
        break;
      }
      await deps.sleep(pause, signal);
      const polled = await use('read', () => store.read(account, waiting, callOptions()), stats);
      if (polled === FAULT) {
        fly(direct(waiting));
        break;
      }
      waiting = serve(polled.tokens, waiting);
      for (const id of waiting) if (polled.leased.has(id)) seenLeased.add(id);
      const free = waiting.filter((id) => !polled.leased.has(id));
      if (free.length === 0) continue;
      // No lease and no token we may serve: the holder crashed or failed, or
      // the item is unreadable (rotated key). Take it, whatever it holds.
      const next = await lease(free, true);
      if (next === FAULT) {
        fly(direct(waiting));
        break;
      }
      const overtaken = [...next.taken].filter((id) => seenLeased.has(id)).length;
      if (overtaken > 0) metrics.add(METRICS.leaseTakeovers, overtaken);
      fly(loginAndWrite([...next.taken], next.holder));
      waiting = waiting.filter((id) => !next.taken.has(id));
    }
    await Promise.all(flights);
  }
}

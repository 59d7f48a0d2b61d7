/**
 * The use case: for the devices asked for, serve what the cache holds, log in
 * upstream for the rest in batches, cache what comes back, and report the
 * devices that got no token. Pure: every dependency is injected.
 */
import type { DeviceFailure, TokenResult } from './contract.ts';
import type { CredentialsProvider } from './credentials.ts';
import { type DeviceKey, deviceId } from './device.ts';
import { BrokerError, DEVICE_FAILURE_CODES, ERROR_CODE } from './errors.ts';
import type { FleetTier } from './fleet/fleet-tier.ts';
import { METRICS, type Metrics, NO_METRICS } from './metrics.ts';
import type { CachedToken, TokenCache } from './token-cache.ts';
import type { LoginCallOptions, LoginClient } from './upstream/login-client.ts';
import {
  checkToken,
  MAX_TOKEN_LIFETIME_MS,
  VISUAL_TOKEN_PATTERN,
} from './upstream/token-expiry.ts';

export type { DeviceFailure, IssuedToken, TokenResult } from './contract.ts';

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

/** Dependencies and settings of {@link createBroker}. */
export interface BrokerDependencies {
  /** The developer credentials. */
  readonly credentials: CredentialsProvider;
  /** The provider's login API. */
  readonly upstream: LoginClient;
  /** Where tokens are kept between requests. */
  readonly cache: TokenCache;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
  /** A cached token is served only with at least this many seconds left. */
  readonly minTokenValiditySeconds: number;
  /** Most devices in one login call. */
  readonly upstreamBatchSize: number;
  /**
   * How long the first queued miss waits for misses of other requests to
   * share its login, in ms. 0 shares only within one event-loop turn.
   * @default 0
   */
  readonly loginGatherMs?: number;
  /**
   * Where counters and latencies go.
   * @default NO_METRICS
   */
  readonly metrics?: Metrics;
  /**
   * The fleet token store tier (L2, leases, budget); absent: L1 only.
   * @default undefined
   */
  readonly fleet?: FleetTier;
  /**
   * At most one refresh login per device per this many seconds; within it a
   * refresh is served the last refresh's token (`TOKEN_REFRESH_MIN_INTERVAL_SECONDS`).
   * @default 30
   */
  readonly refreshIntervalSeconds?: number;
}

/** Per-request options of {@link Broker.getTokens}. */
export interface GetTokensOptions {
  /** Aborts upstream work when the invocation is about to time out. */
  readonly signal?: AbortSignal;
  /** Epoch ms by which upstream work must be over (the Lambda's own deadline). */
  readonly deadline?: number;
  /** Receives this request's counters. */
  readonly stats?: BrokerStats;
  /**
   * The caller found its token rejected: log in again for these devices
   * rather than serve a cached token, and cache the new one. The caller must
   * be granted the devices as for any request; the handler checks that first.
   * @default false
   */
  readonly refresh?: boolean;
}

/** The broker use case. */
export interface Broker {
  /** Tokens for `devices`, which must be validated and free of duplicates. */
  getTokens(devices: readonly DeviceKey[], options?: GetTokensOptions): Promise<TokenResult>;
}

/** What one device's lookup or login came to. */
export type Outcome =
  | { readonly token: CachedToken }
  | { readonly failure: Pick<DeviceFailure, 'code' | 'message'> };

/** The outcome of a device the upstream answered nothing for. */
export const NO_TOKEN: Outcome = {
  failure: {
    code: DEVICE_FAILURE_CODES.noToken,
    message: 'The upstream returned no token for this device',
  },
};

/**
 * Whether a cached token can be served at `now`: a cache is a port, and a
 * value that slipped past `checkToken` (another writer, a future bug) must
 * cost a fresh login, never a response that throws for every caller.
 */
const servable = (token: CachedToken, now: number): boolean =>
  wellFormed(token) &&
  Number.isFinite(token.expiresAt) &&
  token.expiresAt > now &&
  token.expiresAt - now <= MAX_TOKEN_LIFETIME_MS;

// The pattern test costs about as much as the rest of a cache hit, so each
// held token object is tested once, not on every hit.
const WELL_FORMED = new WeakSet<CachedToken>();
const wellFormed = (token: CachedToken): boolean => {
  if (WELL_FORMED.has(token)) return true;
  if (typeof token.visualToken !== 'string' || !VISUAL_TOKEN_PATTERN.test(token.visualToken)) {
    return false;
  }
  WELL_FORMED.add(token);
  return true;
};

const UNSERVABLE: Outcome = {
  failure: {
    code: DEVICE_FAILURE_CODES.invalidToken,
    message: 'The token held for this device is unusable',
  },
};

/** Returns a fresh counters object. */
export const emptyStats = (): BrokerStats => ({
  cacheHits: 0,
  cacheMisses: 0,
  upstreamCalls: 0,
  upstreamAttempts: 0,
  upstreamMs: 0,
});

/** Wires the use case. */
export function createBroker(deps: BrokerDependencies): Broker {
  const { credentials, upstream, cache, now, fleet } = deps;
  const metrics = deps.metrics ?? NO_METRICS;
  const minValidityMs = deps.minTokenValiditySeconds * 1000;
  const refreshIntervalMs = (deps.refreshIntervalSeconds ?? 30) * 1000;
  const gatherMs = deps.loginGatherMs ?? 0;
  // One login per device at a time, shared by every request that misses it;
  // refreshes have their own flights, since an ordinary login does not count as one.
  const inFlight = new Map<string, Promise<Outcome>>();

  async function loginBatch(
    batch: readonly DeviceKey[],
    stats: BrokerStats,
    call: LoginCallOptions,
    refresh = false,
  ): Promise<Map<string, Outcome>> {
    const creds = await credentials.get();
    const started = now();
    stats.upstreamCalls += 1;
    metrics.add(METRICS.upstreamLogins);
    if (refresh) metrics.add(METRICS.refreshLogins);
    let received: Awaited<ReturnType<LoginClient['login']>>;
    // Only a call that reached the upstream costs the account's budget.
    let attempted = false;
    let counted: Promise<void> | undefined;
    try {
      received = await upstream.login(creds, batch, {
        ...call,
        onAttempt: () => {
          attempted = true;
          call.onAttempt?.();
        },
      });
    } catch (error) {
      metrics.add(
        METRICS.upstreamFailures,
        1,
        error instanceof BrokerError ? error.code : ERROR_CODE.INTERNAL_ERROR,
      );
      throw error;
    } finally {
      const elapsed = now() - started;
      stats.upstreamMs += elapsed;
      metrics.add(METRICS.upstreamLatency, elapsed);
      if (attempted && fleet !== undefined) counted = fleet.countLogin();
    }
    await counted;
    const receivedAt = now();
    const outcomes = new Map<string, Outcome>();
    for (const { device, visualToken, expire } of received) {
      const check = checkToken(device, visualToken, expire, receivedAt);
      const id = deviceId(device);
      if (check.ok) {
        const { expiresAt } = check;
        const token = refresh
          ? { visualToken, expiresAt, refreshedAt: started }
          : { visualToken, expiresAt };
        cache.set(id, token);
        outcomes.set(id, { token });
      } else {
        outcomes.set(id, {
          failure: { code: DEVICE_FAILURE_CODES.invalidToken, message: check.reason },
        });
      }
    }
    return outcomes;
  }

  // Misses of every request that arrives in the same turn of the event loop,
  // or within loginGatherMs of the first queued miss, are logged in together,
  // so a burst of requests for different devices costs
  // ceil(devices / UPSTREAM_BATCH_SIZE) logins instead of one each.
  let queued: Array<{
    readonly device: DeviceKey;
    readonly stats: BrokerStats;
    readonly call: LoginCallOptions;
    readonly settle: PromiseWithResolvers<Outcome>;
  }> = [];

  /**
   * Sends the queued misses in batches. A batch runs with the counters and
   * call options (signal, deadline) of its first request; the others share
   * its login, as they share an in-flight login for the same device.
   */
  /**
   * The call options of a batch that several requests joined: no one
   * request's abort signal may fail the others' devices, so a shared batch
   * runs without one, until the latest of their deadlines.
   */
  function sharedCall(batch: readonly { readonly call: LoginCallOptions }[]): LoginCallOptions {
    const [first, ...rest] = batch.map((e) => e.call);
    if (first === undefined || rest.every((c) => c === first)) return first ?? {};
    const deadlines = batch.map((e) => e.call.deadline ?? Number.POSITIVE_INFINITY);
    const deadline = Math.max(...deadlines);
    return {
      ...(first.onAttempt ? { onAttempt: first.onAttempt } : {}),
      ...(Number.isFinite(deadline) ? { deadline } : {}),
    };
  }

  function flush() {
    const entries = queued;
    queued = [];
    for (let i = 0; i < entries.length; i += deps.upstreamBatchSize) {
      const batch = entries.slice(i, i + deps.upstreamBatchSize);
      const first = batch[0];
      if (first === undefined) continue;
      const outcomes = loginBatch(
        batch.map((e) => e.device),
        first.stats,
        sharedCall(batch),
      );
      for (const { device, settle } of batch) {
        outcomes
          .then((byId) => byId.get(deviceId(device)) ?? NO_TOKEN)
          .then(settle.resolve, settle.reject);
      }
    }
  }

  /** Queues `devices` for the next batched login; resolves per device. */
  function enqueue(
    devices: readonly DeviceKey[],
    stats: BrokerStats,
    call: LoginCallOptions,
  ): Map<string, Promise<Outcome>> {
    if (queued.length === 0 && gatherMs > 0) {
      // A server taking concurrent requests sees each one pass its
      // authentication in a different turn: a short window lets them share.
      setTimeout(flush, gatherMs);
    } else if (queued.length === 0) {
      // After every promise job queued so far, so concurrent requests still
      // on their way through the middleware (a few awaits) join this batch.
      Promise.resolve().then(() => process.nextTick(flush));
    }
    const outcomes = new Map<string, Promise<Outcome>>();
    for (const device of devices) {
      const settle = Promise.withResolvers<Outcome>();
      queued.push({ device, stats, call, settle });
      outcomes.set(deviceId(device), settle.promise);
    }
    return outcomes;
  }

  /** Refresh logins: not queued with ordinary misses, whose tokens do not count as refreshed. */
  async function refreshLogins(
    devices: readonly DeviceKey[],
    stats: BrokerStats,
    call: LoginCallOptions,
  ): Promise<Map<string, Outcome>> {
    const batches: Promise<Map<string, Outcome>>[] = [];
    for (let i = 0; i < devices.length; i += deps.upstreamBatchSize) {
      batches.push(loginBatch(devices.slice(i, i + deps.upstreamBatchSize), stats, call, true));
    }
    return new Map((await Promise.all(batches)).flatMap((m) => [...m]));
  }

  /** Per-device outcomes of logging in for `misses`, through the fleet tier when there is one. */
  function startLogins(
    misses: readonly DeviceKey[],
    refresh: boolean,
    stats: BrokerStats,
    options: GetTokensOptions,
  ): Map<string, Promise<Outcome>> {
    const call: LoginCallOptions = {
      onAttempt: () => {
        stats.upstreamAttempts += 1;
      },
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
    };
    const login = (batch: readonly DeviceKey[]): Promise<ReadonlyMap<string, Outcome>> =>
      refresh
        ? refreshLogins(batch, stats, call)
        : (async () => {
            const byId = enqueue(batch, stats, call);
            const ids = [...byId.keys()];
            const outcomes = await Promise.all(byId.values());
            return new Map(ids.map((id, i) => [id, outcomes[i] ?? NO_TOKEN]));
          })();
    if (fleet !== undefined) {
      return fleet.resolve(misses, {
        refresh,
        stats,
        login,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
      });
    }
    if (!refresh) return enqueue(misses, stats, call);
    const all = login(misses);
    return new Map(
      misses.map((device) => {
        const id = deviceId(device);
        return [id, all.then((byId) => byId.get(id) ?? NO_TOKEN)];
      }),
    );
  }

  return {
    async getTokens(devices, options = {}) {
      const stats = options.stats ?? emptyStats();
      const start = now();
      const refresh = options.refresh === true;
      const pending: Array<Outcome | string> = [];
      const misses: DeviceKey[] = [];
      if (refresh) metrics.add(METRICS.refreshes, devices.length);
      for (const device of devices) {
        const id = deviceId(device);
        const key = refresh ? `refresh:${id}` : id;
        // A refresh with a store reads the store first; without one, the
        // last refresh within the interval is served from L1.
        const token =
          refresh && fleet !== undefined ? undefined : cache.get(id, start, minValidityMs);
        if (
          token !== undefined &&
          servable(token, start) &&
          (!refresh || (token.refreshedAt ?? -Infinity) >= start - refreshIntervalMs)
        ) {
          stats.cacheHits += 1;
          metrics.add(METRICS.cacheHits);
          pending.push({ token });
          continue;
        }
        stats.cacheMisses += 1;
        metrics.add(METRICS.cacheMisses);
        if (!inFlight.has(key)) misses.push(device);
        pending.push(key);
      }
      if (misses.length > 0) {
        for (const [id, promise] of startLogins(misses, refresh, stats, options)) {
          const key = refresh ? `refresh:${id}` : id;
          const outcome = promise.finally(() => inFlight.delete(key));
          // Each waiting request observes the rejection; this guards the case
          // where none is left to, which would otherwise crash the process.
          outcome.catch(() => {});
          inFlight.set(key, outcome);
        }
      }
      // No await since the lookups above, so every missed id is in flight now.
      const resolved = await Promise.all(
        pending.map((entry) =>
          typeof entry === 'string' ? (inFlight.get(entry) as Promise<Outcome>) : entry,
        ),
      );
      const at = now();
      const result: TokenResult = { tokens: [], failures: [] };
      resolved.forEach((found, i) => {
        const { productKey, deviceName } = devices[i] as DeviceKey;
        // Checked again here, so that no value can make toISOString throw.
        const outcome = 'token' in found && !servable(found.token, at) ? UNSERVABLE : found;
        if ('token' in outcome) {
          result.tokens.push({
            productKey,
            deviceName,
            visualToken: outcome.token.visualToken,
            expiresAt: new Date(outcome.token.expiresAt).toISOString(),
            expiresIn: Math.max(0, Math.floor((outcome.token.expiresAt - at) / 1000)),
          });
        } else {
          result.failures.push({ productKey, deviceName, ...outcome.failure });
        }
      });
      if (result.tokens.length > 0) metrics.add(METRICS.tokensIssued, result.tokens.length);
      return result;
    },
  };
}

/**
 * The use case: for the devices asked for, serve what the in-process cache
 * (L1) holds for the current account, ask the token source for the rest
 * (one flight per device however many requests miss it), cache what comes
 * back under the account that produced it, and report the devices that got
 * no token. Pure: every dependency is injected.
 */
import type { TokenResult } from './contract.ts';
import { type DeviceKey, deviceId } from './device.ts';
import { DEVICE_FAILURE_CODES } from './errors.ts';
import { METRICS, type Metrics, NO_METRICS } from './metrics.ts';
import { canServe, expiryText, serveRule } from './token.ts';
import type { TokenCache } from './token-cache.ts';
import {
  type BrokerStats,
  emptyStats,
  type Outcome,
  type SourceRequest,
  type TokenSource,
} from './token-source.ts';
import type { AccountIdentity, UpstreamAccount } from './upstream/upstream-account.ts';

/** Dependencies and settings of {@link createBroker}. */
export interface BrokerDependencies {
  /** The upstream account whose identity keys L1. */
  readonly account: UpstreamAccount;
  /** What serves L1 misses: the batched login, or the fleet tier around it. */
  readonly source: TokenSource;
  /** Where tokens are kept between requests (L1). */
  readonly cache: TokenCache;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
  /** A held token is served only with at least this long left, ms. */
  readonly minValidityMs: number;
  /**
   * At most one refresh login per device per this interval, ms; within it a
   * refresh is served the last refresh's token (`TOKEN_REFRESH_MIN_INTERVAL_SECONDS`).
   */
  readonly refreshIntervalMs: number;
  /** @default NO_METRICS */
  readonly metrics?: Metrics;
}

/** Per-request options of {@link Broker.getTokens}. */
export interface GetTokensOptions {
  /** Aborts upstream work when the invocation is about to time out. */
  readonly signal?: AbortSignal;
  /** Epoch ms by which upstream work must be over (the Lambda's own deadline). */
  readonly deadline?: number;
  /** Receives this request's counters. */
  readonly stats?: BrokerStats;
  /** Who asks, for per-caller limits; never logged with a token. */
  readonly principal?: string;
  /**
   * Settles once the caller is known to be granted every device: the broker
   * serves nothing and starts no login before it resolves, and fails with
   * its error when it rejects. Meanwhile the misses' store read is started
   * (`TokenSource.prefetch`), so that a grants lookup made at the same time
   * can share its round trip.
   * @default already granted
   */
  readonly authorized?: Promise<void>;
  /**
   * The caller found its token rejected: log in again for these devices
   * rather than serve a held token (at most once per device per refresh
   * interval). The handler checks the caller's grants first.
   * @default false
   */
  readonly refresh?: boolean;
}

/** The broker use case. */
export interface Broker {
  /**
   * Tokens for `devices`, which must be validated and free of duplicates.
   * @example
   * const { tokens, failures } = await broker.getTokens([{ productKey: 'pk', deviceName: 'cam1' }]);
   */
  getTokens(devices: readonly DeviceKey[], options?: GetTokensOptions): Promise<TokenResult>;
}

const UNSERVABLE: Outcome = {
  failure: {
    code: DEVICE_FAILURE_CODES.invalidToken,
    message: 'The token held for this device is unusable',
  },
};

/** L1's key: a token is only ever found again under the account that produced it. */
const l1Key = (account: AccountIdentity, id: string) => `${account.tag}/${id}`;

/** A flight's key: refreshes have their own, since an ordinary login does not count as one. */
const flightKey = (refresh: boolean, key: string) => `${refresh ? 'r' : 'm'}/${key}`;

/** What every request of one broker shares. */
interface BrokerState extends BrokerDependencies {
  readonly metrics: Metrics;
  /** One flight per device and account at a time, shared by every request that misses it. */
  readonly inFlight: Map<string, Promise<Outcome>>;
}

/**
 * Wires the use case.
 * @example
 * const broker = createBroker({ account, source, cache, now: Date.now, minValidityMs: 300_000, refreshIntervalMs: 30_000 });
 */
export function createBroker(deps: BrokerDependencies): Broker {
  const state: BrokerState = { ...deps, metrics: deps.metrics ?? NO_METRICS, inFlight: new Map() };
  return {
    async getTokens(devices, options = {}) {
      const stats = options.stats ?? emptyStats();
      const { authorized } = options;
      let identity: AccountIdentity;
      try {
        identity = await deps.account.current();
      } catch (error) {
        // A refusal is the answer, whatever else fails.
        await authorized;
        throw error;
      }
      const refresh = options.refresh === true;
      // The options are a request's already: signal, deadline, principal.
      const request: SourceRequest = { ...options, refresh, stats, account: identity };
      // The misses' store read starts while the grants are checked.
      // Planned only where a source can use it: the plan is made again below.
      const early = authorized && deps.source.prefetch && plan(state, devices, request).misses;
      const read = early?.length ? deps.source.prefetch?.(early, request) : undefined;
      try {
        await authorized;
      } finally {
        // Nothing this request started may outlive its answer.
        await read;
      }
      const { pending, misses, keys } = plan(state, devices, request);
      const hits = pending.filter((entry) => typeof entry !== 'string').length;
      stats.cacheHits += hits;
      stats.cacheMisses += pending.length - hits;
      if (hits > 0) state.metrics.add(METRICS.cacheHits, hits);
      if (hits < pending.length) state.metrics.add(METRICS.cacheMisses, pending.length - hits);
      if (refresh) state.metrics.add(METRICS.refreshes, devices.length);
      if (misses.length > 0) fly(state, misses, keys, request);
      // No await since the plan, so every missed id is in flight now.
      const resolved = await Promise.all(
        pending.map((entry) =>
          typeof entry === 'string' ? (state.inFlight.get(entry) as Promise<Outcome>) : entry,
        ),
      );
      return answer(state.metrics, devices, resolved, deps.now());
    },
  };
}

/**
 * Where each device's outcome comes from: L1 (the outcome itself), a flight
 * already under way, or a new flight (its key; the device is in `misses`).
 */
function plan(state: BrokerState, devices: readonly DeviceKey[], request: SourceRequest) {
  const { cache, inFlight } = state;
  const rule = serveRule(
    state.now(),
    state.minValidityMs,
    request.refresh,
    state.refreshIntervalMs,
  );
  const pending: Array<Outcome | string> = [];
  const misses: DeviceKey[] = [];
  const keys = new Map<string, string>();
  for (const device of devices) {
    const id = deviceId(device);
    const token = cache.get(l1Key(request.account, id));
    if (token !== undefined && canServe(token, rule)) {
      pending.push({ token, account: request.account });
      continue;
    }
    const key = flightKey(request.refresh, l1Key(request.account, id));
    if (!inFlight.has(key)) {
      misses.push(device);
      keys.set(id, key);
    }
    pending.push(key);
  }
  return { pending, misses, keys };
}

/** Starts the flights of `misses`; the key of each device's flight is in `keys`. */
function fly(
  state: BrokerState,
  misses: readonly DeviceKey[],
  keys: ReadonlyMap<string, string>,
  request: SourceRequest,
) {
  const { cache, inFlight } = state;
  for (const [id, promise] of state.source.resolve(misses, request)) {
    const key = keys.get(id) as string;
    const outcome = promise.then((found) => {
      if ('token' in found) cache.set(l1Key(found.account, id), found.token);
      return found;
    });
    const settled = outcome.finally(() => inFlight.delete(key));
    // Each waiting request observes the rejection; this guards the case
    // where none is left to, which would otherwise crash the process.
    settled.catch(() => {});
    inFlight.set(key, settled);
  }
}

/** The answer: a token or a failure per device, in the order asked. */
function answer(
  metrics: Metrics,
  devices: readonly DeviceKey[],
  resolved: readonly Outcome[],
  at: number,
) {
  const result: TokenResult = { tokens: [], failures: [] };
  resolved.forEach((found, i) => {
    const { productKey, deviceName } = devices[i] as DeviceKey;
    // Checked again here, so that no value can make toISOString throw.
    const outcome =
      'token' in found && !canServe(found.token, { now: at, minValidityMs: 0 })
        ? UNSERVABLE
        : found;
    if ('token' in outcome) {
      result.tokens.push({
        productKey,
        deviceName,
        visualToken: outcome.token.visualToken,
        expiresAt: expiryText(outcome.token),
        expiresIn: Math.max(0, Math.floor((outcome.token.expiresAt - at) / 1000)),
      });
    } else {
      result.failures.push({ productKey, deviceName, ...outcome.failure });
    }
  });
  if (result.tokens.length > 0) metrics.add(METRICS.tokensIssued, result.tokens.length);
  return result;
}

/**
 * The fleet tier's collaborators as fakes, for unit tests of its steps
 * (fleet-run.ts, fleet-steps.ts, fleet-wait.ts, fleet-tier.ts): an
 * in-memory store (fake-token-store.ts), a wrapped source that logs in
 * from a table, a hand-driven clock, recorded metrics and an instant sleep.
 * No engine, no network, no timers.
 */
import { type DeviceKey, deviceId } from '../../functions/token-broker/device.ts';
import type {
  FleetContext,
  FleetRun,
  FleetSettings,
} from '../../functions/token-broker/fleet/fleet-run.ts';
import { waitFor } from '../../functions/token-broker/fleet/fleet-wait.ts';
import { guardStore } from '../../functions/token-broker/fleet/guarded-store.ts';
import type { Metrics } from '../../functions/token-broker/metrics.ts';
import { deriveStoreKeys, keyedId } from '../../functions/token-broker/store/token-crypto.ts';
import type { TokenStore } from '../../functions/token-broker/store/token-store.ts';
import type { HeldToken } from '../../functions/token-broker/token.ts';
import {
  emptyStats,
  NO_TOKEN,
  type Outcome,
  type SourceRequest,
  type TokenSource,
} from '../../functions/token-broker/token-source.ts';
import type { AccountIdentity } from '../../functions/token-broker/upstream/upstream-account.ts';
import { fakeTokenStore, snapshotOf } from './fake-token-store.ts';
import { captureLogger, fakeVisualToken } from './fakes.ts';

/** The clock every harness starts at, epoch ms. */
export const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

/** The account of every run. */
export const ACCOUNT: AccountIdentity = { tag: 'acct-tag', identity: '["user","none",""]' };

/** Another account, as after a refused login and a re-read secret. */
export const OTHER_ACCOUNT: AccountIdentity = { tag: 'other-tag', identity: '["other","none",""]' };

/** The store keys of every run. */
export const KEYS = deriveStoreKeys('fleet-unit-test-secret-0123456789abcdef');

/** The account hash a run reads and leases under. */
export const ACCOUNT_KEY = keyedId(KEYS.hashKey, ACCOUNT.identity);

/** Settings of every harness, ms: round figures, so expectations read plainly. */
export const SETTINGS: FleetSettings = {
  minValidityMs: 60_000,
  refreshIntervalMs: 30_000,
  leaseMs: 5_000,
  loginReserveMs: 1_000,
  afterLoginStoreMs: 500,
  sharedCircuit: false,
  circuitMaxOpenMs: 30_000,
  budget: {
    perHour: 0,
    enforce: false,
    principalPercent: 100,
    onStoreFault: 'closed',
    batchSize: 10,
  },
};

/** `n` devices of one product. */
export const devices = (n: number, prefix = 'd'): DeviceKey[] =>
  Array.from({ length: n }, (_, i) => ({ productKey: 'pk', deviceName: `${prefix}${i}` }));

/** A token for `device` that a store read may serve, valid `lifetimeMs` from `now`. */
export const heldToken = (
  device: DeviceKey,
  now: number,
  lifetimeMs = 3_600_000,
  refreshedAt?: number,
): HeldToken => {
  const expiresAt = Math.floor((now + lifetimeMs) / 1000) * 1000;
  return {
    visualToken: fakeVisualToken(device, expiresAt / 1000),
    expiresAt,
    ...(refreshedAt === undefined ? {} : { refreshedAt }),
  };
};

/** A metrics port that keeps every data point. */
export const recordingMetrics = () => {
  const points: Array<[string, number, string | undefined]> = [];
  const metrics: Metrics = {
    add: (metric, value = 1, code) => void points.push([metric.name, value, code]),
    flush() {},
  };
  return {
    metrics,
    points,
    /** The sum of a metric's values. */
    sum: (name: string) => points.filter(([n]) => n === name).reduce((a, [, v]) => a + v, 0),
  };
};

/** Options of {@link fleetHarness}. */
export interface HarnessOptions {
  readonly store?: Partial<TokenStore>;
  readonly settings?: Partial<FleetSettings>;
  /** Fails every login with this error (a request-wide failure). */
  readonly loginError?: Error;
  /** Devices the wrapped source answers no token for. */
  readonly noToken?: readonly string[];
  /** The account the wrapped source's tokens come from. */
  readonly loginAccount?: AccountIdentity;
  /** Random source for polling jitter. @default () => 0.5 */
  readonly random?: () => number;
}

/** A fleet context over fakes, and runs of it. */
export function fleetHarness(options: HarnessOptions = {}) {
  const fake = fakeTokenStore(options.store);
  const logger = captureLogger();
  const recorded = recordingMetrics();
  let clock = T0;
  const logins: string[][] = [];
  const sleeps: number[] = [];
  let holders = 0;
  const inner: TokenSource = {
    resolve(list) {
      logins.push(list.map(deviceId));
      return new Map(
        list.map((d): [string, Promise<Outcome>] => {
          if (options.loginError) return [deviceId(d), Promise.reject(options.loginError)];
          if (options.noToken?.includes(deviceId(d)))
            return [deviceId(d), Promise.resolve(NO_TOKEN)];
          return [
            deviceId(d),
            Promise.resolve({
              token: heldToken(d, clock),
              account: options.loginAccount ?? ACCOUNT,
            }),
          ];
        }),
      );
    },
  };
  const ctx: FleetContext = {
    inner,
    storeFor: () => fake.store,
    settings: { ...SETTINGS, ...options.settings },
    now: () => clock,
    metrics: recorded.metrics,
    logger,
    random: options.random ?? (() => 0.5),
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      if (signal?.aborted) throw signal.reason;
      clock += ms;
    },
    newHolder: () => `holder-${++holders}`,
  };

  /** A run of `list`, as fleet-tier.ts opens one. */
  const runOf = (list: readonly DeviceKey[], request: Partial<SourceRequest> = {}): FleetRun => {
    const stats = emptyStats();
    const full: SourceRequest = { refresh: false, stats, account: ACCOUNT, ...request };
    return {
      request: full,
      stats: full.stats,
      byId: new Map(list.map((d) => [deviceId(d), d])),
      waiters: new Map(list.map((d) => [deviceId(d), Promise.withResolvers<Outcome>()])),
      store: guardStore(
        fake.store,
        { logger, metrics: recorded.metrics, now: () => clock },
        full.stats,
      ),
      keys: KEYS,
      account: ACCOUNT_KEY,
      started: clock,
      holders: new Set(),
      forced: new Set(),
      flights: [],
      stop: new AbortController(),
    };
  };

  /** How each waiter of `run` settled so far: a token, a failure code, an error code, or pending. */
  const settled = async (run: FleetRun): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    await Promise.all(
      [...run.waiters].map(async ([id, w]) => {
        out[id] = await Promise.race([
          w.promise.then(
            (o) => ('token' in o ? `token:${o.account.tag}` : `failure:${o.failure.code}`),
            (e: { code?: string }) => `error:${e.code}`,
          ),
          new Promise<string>((resolve) => setImmediate(() => resolve('pending'))),
        ]);
      }),
    );
    return out;
  };

  /** Waits for every flight of `run`, as fleet-tier.ts does before answering. */
  const drain = async (run: FleetRun) => {
    while (run.flights.length > 0) await Promise.allSettled(run.flights.splice(0));
  };

  return {
    ...fake,
    ...recorded,
    ctx,
    logger,
    logins,
    sleeps,
    runOf,
    settled,
    drain,
    /** Moves the clock. */
    advance: (ms: number) => {
      clock += ms;
    },
    now: () => clock,
  };
}

/** A store method that answers the listed values in turn (an Error rejects), then the last again. */
export const inTurn = <T>(answers: Array<T | Error>) => {
  let i = 0;
  return async () => {
    const answer = answers[Math.min(i++, answers.length - 1)];
    if (answer instanceof Error) throw answer;
    return answer as T;
  };
};

/** A snapshot in which `holder` holds the lease of each of `ids`. */
export const leasedBy = (holder: string, ...ids: string[]) =>
  snapshotOf({ leased: new Map(ids.map((id) => [id, holder])) });

/** Runs the wait for `ids` and everything it started. */
export async function waitAll(
  h: ReturnType<typeof fleetHarness>,
  run: ReturnType<ReturnType<typeof fleetHarness>['runOf']>,
  ids: string[],
  seen = new Set<string>(),
) {
  await waitFor(h.ctx, run, ids, seen);
  await h.drain(run);
}

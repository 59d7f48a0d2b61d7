/**
 * The innermost token source: logs in upstream for one account, batching
 * the misses of concurrent requests (UPSTREAM_BATCH_SIZE per call), and
 * checks every token that comes back. Refresh logins run in their own calls,
 * since a token from an ordinary login does not count as refreshed.
 */

import { createBatchQueue } from '../batch-queue.ts';
import type { Credentials } from '../credentials.ts';
import { type DeviceKey, deviceId } from '../device.ts';
import { BrokerError, DEVICE_FAILURE_CODES, ERROR_CODE } from '../errors.ts';
import { METRICS, type Metrics, NO_METRICS } from '../metrics.ts';
import type { BrokerStats, Outcome, SourceRequest, TokenSource } from '../token-source.ts';
import { NO_TOKEN } from '../token-source.ts';
import type { LoginCallOptions, LoginClient, UpstreamToken } from './login-client.ts';
import { checkToken } from './token-expiry.ts';
import { type AccountIdentity, identityOf, type UpstreamAccount } from './upstream-account.ts';

/** Options of {@link createBatchedLogin}. */
export interface BatchedLoginOptions {
  /** The account logged in to. */
  readonly account: UpstreamAccount;
  /** Its resilient login client (retries, breaker, limit). */
  readonly upstream: LoginClient;
  /** Most devices in one login call. */
  readonly batchSize: number;
  /** Clock, epoch ms. */
  readonly now: () => number;
  /**
   * How long the first queued miss waits for other requests' misses, ms.
   * @default 0
   */
  readonly gatherMs?: number;
  /** @default NO_METRICS */
  readonly metrics?: Metrics;
}

interface Queued {
  readonly device: DeviceKey;
  readonly request: SourceRequest;
  readonly settle: PromiseWithResolvers<Outcome>;
}

/** The call options of one request: its signal, deadline and attempt counter. */
const callOf = (request: SourceRequest): LoginCallOptions => ({
  ...(request.signal ? { signal: request.signal } : {}),
  ...(request.deadline === undefined ? {} : { deadline: request.deadline }),
});

/**
 * The call options of a batch several requests joined: no one request's
 * abort signal may fail the others' devices, so a shared batch runs without
 * one, until the latest of their deadlines.
 */
function sharedCall(requests: readonly SourceRequest[]): LoginCallOptions {
  const [first, ...rest] = requests;
  if (first === undefined) return {};
  if (rest.every((r) => r === first)) return callOf(first);
  const deadline = Math.max(...requests.map((r) => r.deadline ?? Number.POSITIVE_INFINITY));
  return Number.isFinite(deadline) ? { deadline } : {};
}

/** What the steps of one account's batched login work with. */
interface LoginDeps {
  readonly account: UpstreamAccount;
  readonly upstream: LoginClient;
  readonly now: () => number;
  readonly metrics: Metrics;
}

/** Each received token's outcome: a token that fails its check fails its device instead. */
function checkedOutcomes(
  received: readonly UpstreamToken[],
  receivedAt: number,
  accountId: AccountIdentity,
  refresh: boolean,
  started: number,
): Map<string, Outcome> {
  const outcomes = new Map<string, Outcome>();
  for (const { device, visualToken, expire } of received) {
    const check = checkToken(device, visualToken, expire, receivedAt);
    if (!check.ok) {
      const failure = { code: DEVICE_FAILURE_CODES.invalidToken, message: check.reason };
      outcomes.set(deviceId(device), { failure });
      continue;
    }
    const { expiresAt } = check;
    const token = refresh
      ? { visualToken, expiresAt, refreshedAt: started }
      : { visualToken, expiresAt };
    outcomes.set(deviceId(device), { token, account: accountId });
  }
  return outcomes;
}

/** One upstream login call for `batch`, counted in `stats` and the metrics. */
async function loginBatch(
  { account, upstream, now, metrics }: LoginDeps,
  batch: readonly DeviceKey[],
  stats: BrokerStats,
  call: LoginCallOptions,
  refresh: boolean,
): Promise<Map<string, Outcome>> {
  let used: Credentials = await account.credentials.get();
  const started = now();
  stats.upstreamCalls += 1;
  metrics.add(METRICS.upstreamLogins);
  if (refresh) metrics.add(METRICS.refreshLogins);
  let received: Awaited<ReturnType<LoginClient['login']>>;
  try {
    received = await upstream.login(used, batch, {
      ...call,
      onAttempt: (credentials) => {
        used = credentials;
        stats.upstreamAttempts += 1;
      },
    });
  } catch (error) {
    const code = error instanceof BrokerError ? error.code : ERROR_CODE.INTERNAL_ERROR;
    metrics.add(METRICS.upstreamFailures, 1, code);
    throw error;
  } finally {
    const elapsed = now() - started;
    stats.upstreamMs += elapsed;
    metrics.add(METRICS.upstreamLatency, elapsed);
  }
  const receivedAt = now();
  const accountId = identityOf(used);
  return checkedOutcomes(received, receivedAt, accountId, refresh, started);
}

/** Sends one batch and settles each of its devices. */
function sendBatch(deps: LoginDeps, batch: readonly Queued[], refresh: boolean): void {
  const first = batch[0];
  if (first === undefined) return;
  const call = sharedCall(batch.map((q) => q.request));
  const outcomes = loginBatch(
    deps,
    batch.map((q) => q.device),
    first.request.stats,
    call,
    refresh,
  );
  for (const { device, settle } of batch) {
    outcomes
      .then((byId) => byId.get(deviceId(device)) ?? NO_TOKEN)
      .then(settle.resolve, settle.reject);
  }
}

/**
 * Creates the batched login of one account.
 * @example
 * const source = createBatchedLogin({ account, upstream, batchSize: 20, now: Date.now });
 */
export function createBatchedLogin(options: BatchedLoginOptions): TokenSource {
  const { account, upstream, now, batchSize } = options;
  const deps: LoginDeps = { account, upstream, now, metrics: options.metrics ?? NO_METRICS };

  const misses = createBatchQueue<Queued>({
    maxBatch: batchSize,
    gatherMs: options.gatherMs ?? 0,
    send: (batch) => sendBatch(deps, batch, false),
  });

  return {
    resolve(devices, request) {
      const out = new Map<string, Promise<Outcome>>();
      const refreshes: Queued[] = [];
      for (const device of devices) {
        const settle = Promise.withResolvers<Outcome>();
        out.set(deviceId(device), settle.promise);
        if (request.refresh) refreshes.push({ device, request, settle });
        else misses.push({ device, request, settle });
      }
      for (let i = 0; i < refreshes.length; i += batchSize) {
        sendBatch(deps, refreshes.slice(i, i + batchSize), true);
      }
      return out;
    },
  };
}

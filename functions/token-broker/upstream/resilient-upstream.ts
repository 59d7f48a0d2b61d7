/**
 * Wraps the HTTP login client with what a shared, third-party upstream
 * needs: a per-attempt timeout bounded by the invocation's deadline, capped
 * exponential backoff with full jitter for transient failures only, a circuit
 * breaker, a cap on parallel logins for the account, and one retry with
 * re-read credentials when the upstream refuses them (password rotation).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Credentials, CredentialsProvider } from '../credentials.ts';
import type { DeviceKey } from '../device.ts';
import { UpstreamError, UpstreamRejectedError, UpstreamTimeoutError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import type { ConcurrencyLimit } from './concurrency-limit.ts';
import type { LoginCallOptions, LoginClient, UpstreamToken } from './login-client.ts';

/** Defaults of the resilience settings that are not deployment configuration. */
export const RESILIENCE_DEFAULTS = {
  /** First backoff ceiling, in ms; doubles with each retry. */
  baseDelayMs: 100,
  /** Largest backoff ceiling, in ms. */
  maxDelayMs: 2000,
  /** Time kept back from the deadline to answer the caller, in ms. */
  safetyMarginMs: 250,
  /** An attempt with less time than this is not started, in ms. */
  minAttemptMs: 100,
} as const;

/** Dependencies and settings of {@link createResilientUpstream}. */
export interface ResilientUpstreamOptions {
  /** The transport. */
  readonly client: LoginClient;
  /** Re-read on a refusal, to pick up a rotated secret. */
  readonly credentials: CredentialsProvider;
  /** The circuit breaker, per container. */
  readonly breaker: CircuitBreaker;
  /** The cap on parallel logins, per container. */
  readonly limit: ConcurrencyLimit;
  /** Most retries after a transient failure (`UPSTREAM_MAX_RETRIES`). */
  readonly maxRetries: number;
  /** Time limit of one attempt, in ms (`UPSTREAM_TIMEOUT_MS`). */
  readonly timeoutMs: number;
  /** Where retries and refreshes are reported. */
  readonly logger: Logger;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
  /**
   * Uniform random number in [0, 1), for jitter.
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * Waits `ms`, rejecting when `signal` aborts.
   * @default node:timers/promises setTimeout
   */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** @default RESILIENCE_DEFAULTS.baseDelayMs */
  readonly baseDelayMs?: number;
  /** @default RESILIENCE_DEFAULTS.maxDelayMs */
  readonly maxDelayMs?: number;
  /** @default RESILIENCE_DEFAULTS.safetyMarginMs */
  readonly safetyMarginMs?: number;
  /** @default RESILIENCE_DEFAULTS.minAttemptMs */
  readonly minAttemptMs?: number;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  delay(ms, undefined, signal ? { signal } : {}).then(() => undefined);

/** `signal`, also aborting after `ms` when that is finite. */
const withDeadline = (signal: AbortSignal | undefined, ms: number): AbortSignal | undefined => {
  if (!Number.isFinite(ms)) return signal;
  const timer = AbortSignal.timeout(Math.max(0, Math.floor(ms)));
  return signal === undefined ? timer : AbortSignal.any([signal, timer]);
};

/** Whether two credential sets are the same values (a re-read found no rotation). */
export const sameCredentials = (a: Credentials, b: Credentials): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/** Only failures that may pass by themselves are retried; a retried bad login can lock the account. */
const isTransient = (error: unknown, signal: AbortSignal | undefined): boolean =>
  !signal?.aborted &&
  ((error instanceof UpstreamError && error.transient) || error instanceof UpstreamTimeoutError);

/**
 * Failures that say the upstream is unwell, as opposed to refusing this
 * login or this request's devices (which says nothing of the upstream).
 */
const countsAgainstUpstream = (error: unknown): boolean =>
  (error instanceof UpstreamError && !error.blamesRequest) || error instanceof UpstreamTimeoutError;

/** Answers that show the upstream works: a 4xx about the request shows neither way. */
const showsUpstreamWorks = (error: unknown): boolean =>
  !(error instanceof UpstreamError && error.blamesRequest);

const errorFields = (error: unknown) => ({
  errorName: error instanceof Error ? error.name : typeof error,
  errorMessage: error instanceof Error ? error.message : undefined,
});

/** The settings of {@link createResilientUpstream}, defaults filled in. */
type Resilience = Required<Omit<ResilientUpstreamOptions, 'credentials'>>;

/** Read once, when the client is created: later changes to `options` are not seen. */
function resilienceOf(options: ResilientUpstreamOptions): Resilience {
  const { client, breaker, limit, maxRetries, timeoutMs, logger, now } = options;
  return {
    client,
    breaker,
    limit,
    maxRetries,
    timeoutMs,
    logger,
    now,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? defaultSleep,
    baseDelayMs: options.baseDelayMs ?? RESILIENCE_DEFAULTS.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? RESILIENCE_DEFAULTS.maxDelayMs,
    safetyMarginMs: options.safetyMarginMs ?? RESILIENCE_DEFAULTS.safetyMarginMs,
    minAttemptMs: options.minAttemptMs ?? RESILIENCE_DEFAULTS.minAttemptMs,
  };
}

/** One attempt: a login slot, then one login in the time left, its answer told to the breaker. */
function attemptOnce(
  resilience: Resilience,
  creds: Credentials,
  devices: readonly DeviceKey[],
  call: LoginCallOptions,
  deadline: number,
  left: number,
): Promise<readonly UpstreamToken[]> {
  const { client, breaker, limit, timeoutMs, now, minAttemptMs } = resilience;
  const { signal } = call;
  // An open circuit answers at once, without queueing for a login slot.
  if (breaker.state() === 'open') breaker.acquire();
  // Waiting for a login slot must not outlive the deadline either.
  const slotSignal = withDeadline(signal, left);
  return limit.run(async () => {
    // The wait for a slot used some of the time: measure again.
    const budget = Math.floor(Math.min(timeoutMs, deadline - now()));
    if (budget < minAttemptMs) {
      throw new UpstreamTimeoutError('Out of time while waiting for an upstream login slot');
    }
    breaker.acquire();
    call.onAttempt?.(creds);
    try {
      const tokens = await client.login(creds, devices, {
        ...(signal ? { signal } : {}),
        timeoutMs: budget,
      });
      breaker.success();
      return tokens;
    } catch (error) {
      if (countsAgainstUpstream(error)) breaker.failure();
      else if (showsUpstreamWorks(error)) breaker.success();
      throw error;
    }
  }, slotSignal);
}

/**
 * The backoff, ms, before retrying after attempt `attempt` failed with
 * `error`; rethrows `error` when it is not to be retried, or when the wait
 * and one more attempt would not fit before the deadline.
 */
function backoffAfter(
  resilience: Resilience,
  error: unknown,
  attempt: number,
  deadline: number,
  signal: AbortSignal | undefined,
): number {
  const { maxRetries, maxDelayMs, baseDelayMs, random, now, minAttemptMs, logger } = resilience;
  if (!isTransient(error, signal) || attempt >= maxRetries) throw error;
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  const asked = error instanceof UpstreamError ? error.retryAfterMs : undefined;
  const wait = asked ?? Math.floor(random() * ceiling);
  if (now() + wait + minAttemptMs > deadline) {
    logger.warn('upstream retry skipped: it would not fit before the deadline', {
      attempt: attempt + 1,
      waitMs: wait,
      ...errorFields(error),
    });
    throw error;
  }
  logger.warn('upstream attempt failed; retrying', {
    attempt: attempt + 1,
    waitMs: wait,
    ...errorFields(error),
  });
  return wait;
}

/** Logs in with `creds`, retrying transient failures while the deadline allows. */
async function withRetries(
  resilience: Resilience,
  creds: Credentials,
  devices: readonly DeviceKey[],
  call: LoginCallOptions,
): Promise<readonly UpstreamToken[]> {
  const { now, sleep, safetyMarginMs, minAttemptMs } = resilience;
  const { signal } = call;
  const deadline = (call.deadline ?? Number.POSITIVE_INFINITY) - safetyMarginMs;
  let last: unknown;
  for (let attempt = 0; ; attempt += 1) {
    const left = deadline - now();
    if (left < minAttemptMs) {
      if (last !== undefined) throw last;
      throw new UpstreamTimeoutError(
        `Only ${Math.max(0, Math.floor(left))} ms left before the deadline; no upstream attempt started`,
      );
    }
    try {
      return await attemptOnce(resilience, creds, devices, call, deadline, left);
    } catch (error) {
      last = error;
      const wait = backoffAfter(resilience, error, attempt, deadline, signal);
      try {
        await sleep(wait, signal);
      } catch (cause) {
        throw new UpstreamTimeoutError('The invocation was aborted during an upstream backoff', {
          cause,
        });
      }
    }
  }
}

/** Creates the resilient login client the broker uses. */
export function createResilientUpstream(options: ResilientUpstreamOptions): LoginClient {
  const { credentials, logger } = options;
  const resilience = resilienceOf(options);

  return {
    async login(creds, devices, call = {}) {
      try {
        return await withRetries(resilience, creds, devices, call);
      } catch (error) {
        if (!(error instanceof UpstreamRejectedError)) throw error;
        // A rotated secret shows up as a refusal: re-read it once, and retry
        // only if it changed, so a wrong password is never sent twice.
        const fresh = await credentials.refresh(creds);
        if (sameCredentials(fresh, creds)) {
          logger.error('upstream refused the credentials; the secret is unchanged', {
            ...errorFields(error),
          });
          throw error;
        }
        logger.warn('upstream refused the credentials; retrying once with the re-read secret', {
          ...errorFields(error),
        });
        try {
          return await withRetries(resilience, fresh, devices, call);
        } catch (again) {
          if (!(again instanceof UpstreamRejectedError)) throw again;
          throw new UpstreamRejectedError(
            'Upstream refused the re-read credentials too; not trying a third time',
            { cause: again },
          );
        }
      }
    },
  };
}

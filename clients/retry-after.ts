/**
 * When the browser client tries again: after a 503 or a 429, after the
 * delay `Retry-After` names, else after a jittered exponential backoff.
 * Part of `clients/browser-client.ts`.
 */

/** Statuses worth another attempt: the broker or the gateway saying "not now". */
const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Backoff before the second attempt when no `Retry-After` is given; doubled after each. */
const BASE_BACKOFF_MS = 500;

/**
 * The wait a `Retry-After` value asks for at `nowMs` (RFC 9110 §10.2.3):
 * delta-seconds, or an HTTP date, whose wait is measured on the client's
 * clock. Undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  const text = value?.trim() ?? '';
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // A date names its weekday or month; without one, Date.parse guesses at "1.5".
  const at = /[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * How long to wait before attempt `attempt + 1` after `response`, or
 * undefined when its status is not worth retrying.
 * @param waitMs - the wait its `Retry-After` asked for, if any
 */
export function retryDelayMs(
  response: Response,
  attempt: number,
  waitMs: number | undefined,
): number | undefined {
  if (!RETRY_STATUSES.has(response.status)) return undefined;
  // Jitter, so that the pages a throttle refused do not come back in step.
  return waitMs ?? BASE_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}

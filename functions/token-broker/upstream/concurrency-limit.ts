/**
 * Caps how many upstream logins run at once for the account, per container:
 * some providers of this family invalidate a session when the same account
 * logs in in parallel.
 */
import { UpstreamTimeoutError } from '../errors.ts';

/** A counting semaphore. */
export interface ConcurrencyLimit {
  /** Runs `task` once a slot is free; gives up when `signal` aborts while waiting. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Tasks running now. */
  active(): number;
}

/** Creates a limit of `max` tasks at once. */
export function createConcurrencyLimit(max: number): ConcurrencyLimit {
  let running = 0;
  const waiting: Array<() => void> = [];

  const acquire = (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (running < max) {
        running += 1;
        resolve();
        return;
      }
      if (signal?.aborted) {
        reject(new UpstreamTimeoutError('Out of time while waiting for an upstream login slot'));
        return;
      }
      const grant = () => {
        signal?.removeEventListener('abort', abort);
        running += 1;
        resolve();
      };
      const abort = () => {
        const at = waiting.indexOf(grant);
        if (at >= 0) waiting.splice(at, 1);
        reject(new UpstreamTimeoutError('Out of time while waiting for an upstream login slot'));
      };
      signal?.addEventListener('abort', abort, { once: true });
      waiting.push(grant);
    });

  const release = () => {
    running -= 1;
    waiting.shift()?.();
  };

  return {
    async run(task, signal) {
      await acquire(signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
    active: () => running,
  };
}

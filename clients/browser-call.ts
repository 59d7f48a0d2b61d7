/**
 * How the browser client's calls share requests without one caller's abort
 * or deadline cutting off another's: a {@link Batch} of requests runs while
 * any {@link Call} still waits on it, retries while the latest of their
 * deadlines allows, and is aborted once the last of them gives up. Part of
 * `clients/browser-client.ts`.
 */
import { CLIENT_FAILURE_CODES } from '../functions/token-broker/contract.ts';
import { TokenBrokerError } from './browser-client-errors.ts';

/** The requests of one flush of the queue, or of one refresh. */
export class Batch {
  readonly #controller = new AbortController();
  #waiting = 0;
  #sent = false;
  /** The latest deadline of the calls waiting on it, epoch ms on the client's clock. */
  deadlineMs = 0;

  /** Aborts the batch's fetches and waits once no call waits on it. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** A call waits on this batch until it leaves. */
  join(deadlineMs: number): void {
    this.#waiting += 1;
    this.deadlineMs = Math.max(this.deadlineMs, deadlineMs);
  }

  /** A call no longer waits on this batch. */
  leave(): void {
    this.#waiting -= 1;
    if (this.#sent && this.#waiting === 0) this.#controller.abort();
  }

  /** The batch is being sent: from now on, its last call leaving aborts it. */
  send(): void {
    this.#sent = true;
    if (this.#waiting === 0) this.#controller.abort();
  }
}

/** One `getTokens` call or one background renewal: a deadline and the batches it waits on. */
export class Call {
  /** When the call gives up, epoch ms on the client's clock. */
  readonly deadlineMs: number;
  readonly #batches = new Set<Batch>();
  readonly #aborted: Promise<never>;
  readonly #stop: () => void;

  /**
   * @param timeoutMs - how long the call waits in all, retries included
   * @param signal - the caller's; its abort rejects the call with its reason
   */
  constructor(nowMs: number, timeoutMs: number, signal?: AbortSignal) {
    this.deadlineMs = nowMs + timeoutMs;
    let fail: (reason: unknown) => void = () => {};
    this.#aborted = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    // Handled by run(); a call that settles first never looks at it again.
    this.#aborted.catch(() => {});
    const timer = setTimeout(() => {
      const message = `The broker did not answer within ${timeoutMs} ms`;
      fail(new TokenBrokerError(CLIENT_FAILURE_CODES.timeout, message));
    }, timeoutMs);
    const abort = () => fail(signal?.reason);
    signal?.addEventListener('abort', abort, { once: true });
    this.#stop = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    };
  }

  /** The call waits on `batch`, and keeps it alive until the call ends. */
  wait(batch: Batch): void {
    if (this.#batches.has(batch)) return;
    this.#batches.add(batch);
    batch.join(this.deadlineMs);
  }

  /**
   * Settles with `work`, or rejects as soon as the call is aborted or timed
   * out; either way it then leaves every batch it waited on.
   */
  async run<T>(work: Promise<T>): Promise<T> {
    try {
      return await Promise.race([work, this.#aborted]);
    } finally {
      this.#stop();
      for (const batch of this.#batches) batch.leave();
    }
  }
}

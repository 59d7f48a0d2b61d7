/**
 * Coalesces work asked for by concurrent callers into batches: what is
 * pushed in the same turn of the event loop (or within a gather window of
 * the first push) is sent together. Cross-request login batching and the
 * Secrets Manager reader's one-round-trip cold start both use it.
 */

/** Options of {@link createBatchQueue}. */
export interface BatchQueueOptions<T> {
  /** Sends one batch; called with at most `maxBatch` items. */
  readonly send: (batch: readonly T[]) => void;
  /**
   * Most items in one batch.
   * @default Number.POSITIVE_INFINITY
   */
  readonly maxBatch?: number;
  /**
   * How long the first pushed item waits for others, ms. 0 waits only for
   * the promise jobs already queued.
   * @default 0
   */
  readonly gatherMs?: number;
}

/** A queue that sends what is pushed together in batches. */
export interface BatchQueue<T> {
  /** Adds `item` to the next batch. */
  push(item: T): void;
}

/**
 * Creates a queue.
 * @example
 * const queue = createBatchQueue<string>({ maxBatch: 20, send: (ids) => readAll(ids) });
 * queue.push('a'); queue.push('b'); // one send(['a', 'b'])
 */
export function createBatchQueue<T>(options: BatchQueueOptions<T>): BatchQueue<T> {
  const maxBatch = options.maxBatch ?? Number.POSITIVE_INFINITY;
  const gatherMs = options.gatherMs ?? 0;
  let queued: T[] = [];
  const flush = () => {
    const items = queued;
    queued = [];
    for (let i = 0; i < items.length; i += maxBatch) options.send(items.slice(i, i + maxBatch));
  };
  return {
    push(item) {
      if (queued.length === 0 && gatherMs > 0) {
        // A server taking concurrent requests sees each pass its
        // authentication in a different turn: a short window lets them share.
        setTimeout(flush, gatherMs);
      } else if (queued.length === 0) {
        // After every promise job queued so far, so concurrent callers still
        // a few awaits away (a Promise.all, the middleware) join this batch.
        Promise.resolve().then(() => process.nextTick(flush));
      }
      queued.push(item);
    },
  };
}

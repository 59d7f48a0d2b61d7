/**
 * How the DynamoDB token store runs its calls: each under a deadline that
 * grows with its items, every foreign failure wrapped in a TokenStoreError,
 * per-item outcomes for the parallel conditional writes, and reads through
 * the coalescing BatchGetItem (batch-get.ts).
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { type BatchGet, createBatchGet } from './batch-get.ts';
import { A, isConditionFailure, reasonOf } from './dynamodb-items.ts';
import type { StoreCallOptions } from './token-store.ts';
import { TokenStoreError } from './token-store-errors.ts';

/**
 * Time each item adds to a call's deadline, ms. dynalite, the local engine,
 * runs a fleet's conditional writes one at a time: measured (bench/store-writes.ts)
 * at about 5 ms a write, 4 × 24 writes at once in under 0.6 s and 8 × 50 in
 * under 2.4 s on 2 cores. The service runs them in parallel, so a budget
 * that fits dynalite under a burst never cuts off an answer the service would give.
 */
export const STORE_MS_PER_ITEM = 20;

/** The deadline of one call for `items` items: the base (`TOKEN_STORE_TIMEOUT_MS`) plus {@link STORE_MS_PER_ITEM} each. */
export const callBudgetMs = (baseMs: number, items: number) => baseMs + STORE_MS_PER_ITEM * items;

/** Runs store calls for one table. */
export interface StoreCalls {
  /** Runs `body` under its deadline; every failure becomes a TokenStoreError. */
  run<T>(
    what: string,
    options: StoreCallOptions,
    items: number,
    body: (signal: AbortSignal) => Promise<T>,
  ): Promise<T>;
  /** An UpdateItem; resolves undefined when its condition was not met. */
  update(
    input: UpdateItemCommandInput,
    signal: AbortSignal,
  ): Promise<UpdateItemCommandOutput | undefined>;
  /** Every item of `keys`, consistently read, unprocessed keys retried until `signal` aborts. */
  getAll(keys: readonly string[], signal: AbortSignal): Promise<Record<string, AttributeValue>[]>;
}

/** Outcomes of per-item calls run in parallel: each settles on its own. */
export interface ItemOutcomes {
  /** Items whose call resolved true. */
  readonly done: ReadonlySet<string>;
  /** Items whose call resolved false (a condition not met). */
  readonly refused: ReadonlySet<string>;
  /** Items whose call failed or was cut off. */
  readonly failed: ReadonlySet<string>;
  /** The first failure, as a TokenStoreError. */
  readonly fault: TokenStoreError | undefined;
}

/** Creates the call runner of `table` on `client`. */
export function createStoreCalls(
  client: DynamoDBClient,
  table: string,
  baseMs: number,
  batchGet: BatchGet = createBatchGet(client),
): StoreCalls {
  const run: StoreCalls['run'] = async (what, options, items, body) => {
    const deadline = AbortSignal.timeout(callBudgetMs(baseMs, items));
    const caller = options.signal;
    const signal = caller === undefined ? deadline : AbortSignal.any([deadline, caller]);
    try {
      if (signal.aborted) throw signal.reason;
      return await body(signal);
    } catch (cause) {
      if (cause instanceof TokenStoreError) throw cause;
      const reason = reasonOf(cause, deadline, caller);
      throw new TokenStoreError(`Token store ${what} failed (${reason})`, reason, { cause });
    }
  };

  const update: StoreCalls['update'] = async (input, signal) => {
    try {
      return await client.send(new UpdateItemCommand(input), { abortSignal: signal });
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  };

  return {
    run,
    update,
    getAll: (keys, signal) =>
      batchGet.get({ table, keyName: A.pk, keys, consistent: true, signal }),
  };
}

/**
 * Runs `task` for each item in parallel under one deadline; each outcome is
 * kept, and all have settled when this resolves, so nothing is left in flight.
 */
export async function eachItem(
  calls: StoreCalls,
  what: string,
  options: StoreCallOptions,
  ids: readonly string[],
  task: (id: string, signal: AbortSignal) => Promise<boolean>,
): Promise<ItemOutcomes> {
  const done = new Set<string>();
  const refused = new Set<string>();
  const failed = new Set<string>();
  let fault: TokenStoreError | undefined;
  await Promise.all(
    ids.map((id) =>
      calls
        .run(what, options, ids.length, (signal) => task(id, signal))
        .then(
          (ok) => (ok ? done : refused).add(id),
          (error: TokenStoreError) => {
            failed.add(id);
            fault ??= error;
          },
        ),
    ),
  );
  return { done, refused, failed, fault };
}

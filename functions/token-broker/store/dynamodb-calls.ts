/**
 * How the DynamoDB token store runs its calls: each under a deadline that
 * grows with its items, every foreign failure wrapped in a TokenStoreError,
 * per-item outcomes for the parallel conditional writes, and BatchGetItem's
 * unprocessed keys retried with backoff until the deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { A, BATCH_GET_MAX_KEYS, isConditionFailure, reasonOf, str } from './dynamodb-items.ts';
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

/** First pause before BatchGetItem's unprocessed keys are asked for again, ms; doubles. */
const UNPROCESSED_FIRST_DELAY_MS = 20;

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

  const getChunk = async (chunk: readonly string[], signal: AbortSignal) => {
    const items: Record<string, AttributeValue>[] = [];
    let left: KeysAndAttributes | undefined = {
      Keys: chunk.map((pk) => ({ [A.pk]: str(pk) })),
      ConsistentRead: true,
    };
    for (let delay = UNPROCESSED_FIRST_DELAY_MS; left !== undefined; delay *= 2) {
      const out: BatchGetItemCommandOutput = await client.send(
        new BatchGetItemCommand({ RequestItems: { [table]: left } }),
        {
          abortSignal: signal,
        },
      );
      items.push(...(out.Responses?.[table] ?? []));
      const unprocessed: KeysAndAttributes | undefined = out.UnprocessedKeys?.[table];
      left =
        unprocessed?.Keys !== undefined && unprocessed.Keys.length > 0 ? unprocessed : undefined;
      if (left === undefined) break;
      // DynamoDB asks for backoff; keys still unprocessed at the deadline are a fault, not misses.
      await sleep(delay, undefined, { signal }).catch((cause: unknown) => {
        throw new TokenStoreError('Token store read left keys unprocessed', 'UNPROCESSED_KEYS', {
          cause,
        });
      });
    }
    return items;
  };

  return {
    run,
    update,
    async getAll(keys, signal) {
      const chunks: string[][] = [];
      for (let i = 0; i < keys.length; i += BATCH_GET_MAX_KEYS) {
        chunks.push(keys.slice(i, i + BATCH_GET_MAX_KEYS));
      }
      return (await Promise.all(chunks.map((chunk) => getChunk(chunk, signal)))).flat();
    },
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

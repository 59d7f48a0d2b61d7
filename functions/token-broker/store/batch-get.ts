/**
 * One BatchGetItem for every read started in the same turn of the event
 * loop, across tables: the grants directory's lookup and the token store's
 * read, begun together for one request, share one round trip. The
 * DataLoader pattern; BatchGetItem's own limits (100 keys, no duplicates,
 * unprocessed keys asked for again with backoff) are kept here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';
import { BATCH_GET_MAX_KEYS } from './dynamodb-items.ts';
import { TokenStoreError } from './token-store-errors.ts';

/** An item as DynamoDB returns it. */
export type Item = Record<string, AttributeValue>;

/** One table's part of a read. */
export interface BatchGetRead {
  readonly table: string;
  /** The table's partition key attribute (a string key). */
  readonly keyName: string;
  /** The keys' values. */
  readonly keys: readonly string[];
  /** Strongly consistent; a table read so by one caller is read so for all. */
  readonly consistent: boolean;
  /** Gives up this caller's part; the call goes on while another caller waits for it. */
  readonly signal: AbortSignal;
}

/** The coalescing reader. */
export interface BatchGet {
  /**
   * The items found for `read.keys`, in no order.
   * @example
   * const items = await batchGet.get({ table: 'grants', keyName: 'principal', keys: ['user:alice'], consistent: true, signal });
   */
  get(read: BatchGetRead): Promise<Item[]>;
}

/** First pause before unprocessed keys are asked for again, ms; doubles. */
const UNPROCESSED_FIRST_DELAY_MS = 20;

interface Waiting extends PromiseWithResolvers<Item[]> {
  readonly read: BatchGetRead;
  /** Set once its batch was left keys unprocessed: giving up after that is their fault, not a slow call's. */
  unprocessed?: boolean;
}

/** The fault of keys still unprocessed when their reader gave up. */
const unprocessedKeys = (cause: unknown) =>
  new TokenStoreError('A read left keys unprocessed', 'UNPROCESSED_KEYS', { cause });

/**
 * Creates the reader on `client`.
 * @example
 * const batchGet = createBatchGet(createDynamoDbClient());
 */
export function createBatchGet(client: DynamoDBClient): BatchGet {
  let queue: Waiting[] = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    const live = new AbortController();
    let left = batch.length;
    // The call is abandoned once nobody waits for it any more, and at once
    // when it has answered everyone: no part of it outlives its callers.
    for (const waiting of batch) {
      const { signal } = waiting.read;
      const gone = () => --left === 0 && live.abort();
      if (signal.aborted) gone();
      else {
        signal.addEventListener('abort', gone, { once: true });
        waiting.promise.then(
          () => signal.removeEventListener('abort', gone),
          () => signal.removeEventListener('abort', gone),
        );
      }
    }
    const leftUnprocessed = () => {
      for (const waiting of batch) waiting.unprocessed = true;
    };
    fetchAll(client, batch, live.signal, leftUnprocessed).then(
      (found) => {
        for (const { read, resolve } of batch) {
          const wanted = new Set(read.keys);
          resolve(
            (found.get(read.table) ?? []).filter((item) => wanted.has(item[read.keyName]?.S ?? '')),
          );
        }
      },
      (error: unknown) => {
        live.abort(error);
        for (const waiting of batch) waiting.reject(error);
      },
    );
  };
  return {
    get(read) {
      const waiting: Waiting = { ...Promise.withResolvers<Item[]>(), read };
      if (read.signal.aborted) return Promise.reject(read.signal.reason);
      const quit = () =>
        waiting.reject(
          waiting.unprocessed ? unprocessedKeys(read.signal.reason) : read.signal.reason,
        );
      read.signal.addEventListener('abort', quit, { once: true });
      const done = () => read.signal.removeEventListener('abort', quit);
      waiting.promise.then(done, done);
      if (queue.length === 0) setImmediate(flush);
      queue.push(waiting);
      return waiting.promise;
    },
  };
}

/** Every item the batch asks for, by table, in calls of at most 100 distinct keys. */
async function fetchAll(
  client: DynamoDBClient,
  batch: readonly Waiting[],
  signal: AbortSignal,
  leftUnprocessed: () => void,
) {
  const wanted = new Map<string, { keyName: string; keys: Set<string>; consistent: boolean }>();
  for (const { read } of batch) {
    const table = wanted.get(read.table) ?? {
      keyName: read.keyName,
      keys: new Set(),
      consistent: false,
    };
    for (const key of read.keys) table.keys.add(key);
    table.consistent ||= read.consistent;
    wanted.set(read.table, table);
  }
  const calls: Record<string, KeysAndAttributes>[] = [];
  let call: Record<string, KeysAndAttributes> = {};
  let size = 0;
  for (const [table, { keyName, keys, consistent }] of wanted) {
    for (const key of keys) {
      if (size === BATCH_GET_MAX_KEYS) {
        calls.push(call);
        call = {};
        size = 0;
      }
      call[table] ??= { Keys: [], ConsistentRead: consistent };
      call[table].Keys?.push({ [keyName]: { S: key } });
      size += 1;
    }
  }
  if (size > 0) calls.push(call);
  const found = new Map<string, Item[]>();
  for (const items of await Promise.all(
    calls.map((c) => fetchCall(client, c, signal, leftUnprocessed)),
  )) {
    for (const [table, list] of Object.entries(items)) {
      found.set(table, [...(found.get(table) ?? []), ...list]);
    }
  }
  return found;
}

/** One BatchGetItem, its unprocessed keys asked for again until `signal` aborts. */
async function fetchCall(
  client: DynamoDBClient,
  request: Record<string, KeysAndAttributes>,
  signal: AbortSignal,
  leftUnprocessed: () => void,
): Promise<Record<string, Item[]>> {
  const items: Record<string, Item[]> = {};
  let left: Record<string, KeysAndAttributes> | undefined = request;
  for (let delay = UNPROCESSED_FIRST_DELAY_MS; left !== undefined; delay *= 2) {
    const out: BatchGetItemCommandOutput = await client.send(
      new BatchGetItemCommand({ RequestItems: left }),
      {
        abortSignal: signal,
      },
    );
    for (const [table, list] of Object.entries(out.Responses ?? {})) {
      items[table] = [...(items[table] ?? []), ...list];
    }
    const unprocessed: [string, KeysAndAttributes][] = Object.entries(
      out.UnprocessedKeys ?? {},
    ).filter(([, part]) => (part.Keys?.length ?? 0) > 0);
    left = unprocessed.length > 0 ? Object.fromEntries(unprocessed) : undefined;
    if (left === undefined) break;
    // DynamoDB asks for backoff; keys still unprocessed at the deadline are a fault, not misses.
    leftUnprocessed();
    await sleep(delay, undefined, { signal }).catch((cause: unknown) => {
      throw unprocessedKeys(cause);
    });
  }
  return items;
}

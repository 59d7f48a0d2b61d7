/**
 * The token store on DynamoDB, with the plain client and two commands only
 * (BatchGetItem, UpdateItem): no DocumentClient, no aggregated client, so
 * the Lambda bundle stays small. Every item is written by a conditional
 * UpdateItem, which is what makes the lease a fleet-wide lock.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  A,
  BATCH_GET_MAX_KEYS,
  COUNTER_GRACE_SECONDS,
  isConditionFailure,
  num,
  readNum,
  reasonOf,
  seconds,
  str,
  tokenAad,
  update,
} from './dynamodb-items.ts';
import { seal, unseal } from './token-crypto.ts';
import {
  type LeaseRequest,
  type StoreCallOptions,
  type StoredToken,
  type StoreSnapshot,
  storeKeys,
  type TokenStore,
} from './token-store.ts';
import { TokenStoreError } from './token-store-errors.ts';

/** The deadline of one store call, all attempts included, ms. */
export const STORE_CALL_TIMEOUT_MS = 800;

/** Options of {@link createDynamoDbTokenStore}. */
export interface DynamoDbTokenStoreOptions {
  /** The client, e.g. from dynamodb-client.ts `createDynamoDbClient`. */
  readonly client: DynamoDBClient;
  /** The table (`TOKEN_TABLE`). */
  readonly tableName: string;
  /** The AES-256-GCM subkey (token-crypto.ts `deriveStoreKeys`). */
  readonly encryptionKey: Buffer;
  /**
   * The deadline of each call, ms.
   * @default STORE_CALL_TIMEOUT_MS
   */
  readonly timeoutMs?: number;
}

/** Creates the DynamoDB adapter of {@link TokenStore}. */
export function createDynamoDbTokenStore(options: DynamoDbTokenStoreOptions): TokenStore {
  const { client, tableName: table, encryptionKey } = options;
  const timeoutMs = options.timeoutMs ?? STORE_CALL_TIMEOUT_MS;

  /**
   * Runs one store call under its own deadline; every foreign failure
   * becomes a TokenStoreError.
   */
  const call = async <T>(
    what: string,
    callOptions: StoreCallOptions,
    body: (abortSignal: AbortSignal) => Promise<T>,
    items = 1,
  ): Promise<T> => {
    // One UpdateItem per device, in parallel: a deadline per 50 of them, so
    // a large request is not cut off halfway, leaving leases behind.
    const deadline = AbortSignal.timeout(timeoutMs * Math.ceil(items / 50));
    const caller = callOptions.signal;
    const abortSignal = caller === undefined ? deadline : AbortSignal.any([deadline, caller]);
    try {
      if (abortSignal.aborted) throw abortSignal.reason;
      return await body(abortSignal);
    } catch (cause) {
      if (cause instanceof TokenStoreError) throw cause;
      const reason = reasonOf(cause, deadline, caller);
      throw new TokenStoreError(`Token store ${what} failed (${reason})`, reason, { cause });
    }
  };

  /** An UpdateItem; resolves false when its condition was not met. */
  const conditionalUpdate = async (input: UpdateItemCommandInput, abortSignal: AbortSignal) => {
    try {
      return await client.send(new UpdateItemCommand(input), { abortSignal });
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  };

  /** Runs `task` for each id in parallel; all settle before the first failure is thrown. */
  const eachOf = async <T>(
    items: readonly T[],
    task: (item: T) => Promise<string | undefined>,
  ): Promise<ReadonlySet<string>> => {
    const results = await Promise.allSettled(items.map(task));
    const done = new Set<string>();
    for (const result of results) {
      if (result.status === 'rejected') throw result.reason;
      if (result.value !== undefined) done.add(result.value);
    }
    return done;
  };

  const getAll = async (keys: string[], abortSignal: AbortSignal) => {
    const items: Record<string, AttributeValue>[] = [];
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX_KEYS) {
      chunks.push(keys.slice(i, i + BATCH_GET_MAX_KEYS));
    }
    await Promise.all(
      chunks.map(async (chunk) => {
        let request: Record<string, KeysAndAttributes> | undefined = {
          [table]: { Keys: chunk.map((pk) => ({ [A.pk]: str(pk) })), ConsistentRead: true },
        };
        // One retry of the keys DynamoDB left unprocessed; those still left are misses.
        for (let attempt = 0; attempt < 2 && request !== undefined; attempt++) {
          const out: BatchGetItemCommandOutput = await client.send(
            new BatchGetItemCommand({ RequestItems: request }),
            { abortSignal },
          );
          items.push(...(out.Responses?.[table] ?? []));
          const left = out.UnprocessedKeys?.[table];
          request =
            left?.Keys !== undefined && left.Keys.length > 0 ? { [table]: left } : undefined;
        }
      }),
    );
    return items;
  };

  return {
    read: (account, deviceIds, callOptions) =>
      call('read', callOptions, async (abortSignal) => {
        const { now } = callOptions;
        const byKey = new Map(deviceIds.map((id) => [storeKeys.token(account, id), id]));
        const circuitKey = storeKeys.circuit(account);
        const budgetKey = storeKeys.budget(account, now);
        const items = await getAll([...byKey.keys(), circuitKey, budgetKey], abortSignal);
        const tokens = new Map<string, StoredToken>();
        const leased = new Set<string>();
        let unreadable = 0;
        let circuitOpenUntil: number | undefined;
        let loginsThisHour: number | undefined;
        for (const item of items) {
          const pk = item[A.pk]?.S ?? '';
          if (pk === circuitKey) circuitOpenUntil = readNum(item, A.openUntil);
          else if (pk === budgetKey) loginsThisHour = readNum(item, A.logins);
          const id = byKey.get(pk);
          if (id === undefined) continue;
          if ((readNum(item, A.leaseUntil) ?? -Infinity) >= now) leased.add(id);
          const sealed = item[A.ciphertext]?.B;
          const expiresAt = readNum(item, A.expiresAt);
          if (sealed === undefined || expiresAt === undefined) continue;
          const refreshedAt = readNum(item, A.refreshedAt);
          const visualToken = unseal(encryptionKey, sealed, tokenAad(pk, expiresAt, refreshedAt));
          if (visualToken === undefined) unreadable++;
          else {
            tokens.set(
              id,
              refreshedAt === undefined
                ? { visualToken, expiresAt }
                : { visualToken, expiresAt, refreshedAt },
            );
          }
        }
        return {
          tokens,
          leased,
          unreadable,
          circuitOpenUntil,
          loginsThisHour,
        } satisfies StoreSnapshot;
      }),

    lease: (account, deviceIds, request: LeaseRequest, callOptions) =>
      call(
        'lease',
        callOptions,
        (abortSignal) => {
          const { now } = callOptions;
          const free = '(attribute_not_exists(#lu) OR #lu < :now)';
          const [wanted, bound] =
            request.mode === 'miss'
              ? ['(attribute_not_exists(#exp) OR #exp < :bound)', request.minValidUntil]
              : ['(attribute_not_exists(#rat) OR #rat < :bound)', request.refreshNotBefore];
          const leaseUntil = now + request.leaseMs;
          return eachOf(deviceIds, async (id) => {
            const input = update(table, storeKeys.token(account, id), {
              // A miss lease's item has no valid token: its TTL becomes the lease's,
              // so TTL cannot sweep an expired item away while its lease is live.
              update: `SET #lh = :h, #lu = :lu, #ttl = ${request.mode === 'miss' ? ':ttl' : 'if_not_exists(#ttl, :ttl)'}`,
              condition: `${free} AND ${wanted}`,
              values: {
                ':h': str(request.holder),
                ':lu': num(leaseUntil),
                ':ttl': num(seconds(leaseUntil) + 60),
                ':now': num(now),
                ':bound': num(bound),
              },
            });
            return (await conditionalUpdate(input, abortSignal)) === undefined ? undefined : id;
          });
        },
        deviceIds.length,
      ),

    write: (account, entries, holder, callOptions) =>
      call(
        'write',
        callOptions,
        (abortSignal) =>
          eachOf(entries, async ({ deviceId, token }) => {
            const pk = storeKeys.token(account, deviceId);
            const { visualToken, expiresAt, refreshedAt } = token;
            const sealed = seal(encryptionKey, visualToken, tokenAad(pk, expiresAt, refreshedAt));
            const values: Record<string, AttributeValue> = {
              ':ct': { B: sealed },
              ':exp': num(expiresAt),
              ':ttl': num(seconds(expiresAt)),
              ':h': str(holder),
              ':now': num(callOptions.now),
            };
            if (refreshedAt !== undefined) values[':rat'] = num(refreshedAt);
            const input = update(table, pk, {
              update:
                refreshedAt === undefined
                  ? 'SET #ct = :ct, #exp = :exp, #ttl = :ttl REMOVE #lh, #lu, #rat'
                  : 'SET #ct = :ct, #exp = :exp, #ttl = :ttl, #rat = :rat REMOVE #lh, #lu',
              // Ours, or no live lease; and never replace a token that lives longer.
              condition:
                '(attribute_not_exists(#lh) OR #lh = :h OR #lu < :now) AND (attribute_not_exists(#exp) OR #exp <= :exp)',
              values,
            });
            return (await conditionalUpdate(input, abortSignal)) === undefined
              ? undefined
              : deviceId;
          }),
        entries.length,
      ),

    release: (account, deviceIds, holder, callOptions) =>
      call(
        'release',
        callOptions,
        async (abortSignal) => {
          await eachOf(deviceIds, async (id) => {
            const input = update(table, storeKeys.token(account, id), {
              update: 'REMOVE #lh, #lu',
              condition: '#lh = :h',
              values: { ':h': str(holder) },
            });
            await conditionalUpdate(input, abortSignal);
            return id;
          });
        },
        deviceIds.length,
      ),

    openCircuit: (account, until, callOptions) =>
      call('openCircuit', callOptions, async (abortSignal) => {
        const input = update(table, storeKeys.circuit(account), {
          update: 'SET #until = :until, #ttl = :ttl',
          condition: 'attribute_not_exists(#until) OR #until < :until',
          values: { ':until': num(until), ':ttl': num(seconds(until) + 60) },
        });
        await conditionalUpdate(input, abortSignal);
      }),

    countLogins: (account, n, callOptions) =>
      call('countLogins', callOptions, async (abortSignal) => {
        const { now } = callOptions;
        const hourEnd = Math.floor(now / 3_600_000 + 1) * 3_600_000;
        const out = await client.send(
          new UpdateItemCommand({
            ...update(table, storeKeys.budget(account, now), {
              update: 'ADD #n :n SET #ttl = :ttl',
              values: { ':n': num(n), ':ttl': num(seconds(hourEnd) + COUNTER_GRACE_SECONDS) },
            }),
            ReturnValues: 'UPDATED_NEW',
          }),
          { abortSignal },
        );
        return Number(out.Attributes?.[A.logins]?.N ?? n);
      }),
  };
}

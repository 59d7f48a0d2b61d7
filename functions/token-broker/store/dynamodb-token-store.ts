/**
 * The token store on DynamoDB, with the plain client and two commands only
 * (BatchGetItem, UpdateItem): no DocumentClient, no aggregated client, so
 * the Lambda bundle stays small. Every item is written by a conditional
 * UpdateItem, which is what makes the lease a fleet-wide lock. A field of
 * the wrong type never blocks a condition: it counts as absent, so a
 * mistyped item is taken over once and rewritten, not retried forever.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BatchGet } from './batch-get.ts';
import { createStoreCalls, eachItem } from './dynamodb-calls.ts';
import { A, COUNTER_GRACE_SECONDS, num, seconds, str, tokenAad, update } from './dynamodb-items.ts';
import { readSnapshot } from './dynamodb-snapshot.ts';
import { seal } from './token-crypto.ts';
import { storeKeys, type TokenStore } from './token-store.ts';

/** The base deadline of one store call, ms, before its items add to it. */
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
   * The base deadline of each call, ms; dynamodb-calls.ts `callBudgetMs` adds to it per item.
   * @default STORE_CALL_TIMEOUT_MS
   */
  readonly timeoutMs?: number;
  /**
   * The reader its reads go through, shared with the grants directory so
   * that both read in one BatchGetItem.
   * @default one of its own
   */
  readonly batchGet?: BatchGet;
}

/** `#x` is absent or not a number: a mistyped field never holds a condition shut. */
const loose = (name: string) => `attribute_not_exists(${name}) OR NOT attribute_type(${name}, :tn)`;
const TN = { ':tn': str('N') };
/** No one else holds a live lease. */
const LEASE_FREE = `(${loose('#lu')} OR #lu < :now)`;
const LEASE_OURS_OR_FREE = `(attribute_not_exists(#lh) OR #lh = :h OR ${loose('#lu')} OR #lu < :now)`;

/**
 * Creates the DynamoDB adapter of {@link TokenStore}.
 * @example
 * const store = createDynamoDbTokenStore({ client, tableName: 'tokens', encryptionKey });
 */
export function createDynamoDbTokenStore(options: DynamoDbTokenStoreOptions): TokenStore {
  const { client, tableName: table, encryptionKey, timeoutMs, batchGet } = options;
  const calls = createStoreCalls(client, table, timeoutMs ?? STORE_CALL_TIMEOUT_MS, batchGet);
  /** Adds `n` to an hour's counter; with `max`, only while the total stays at or under it. */
  const add = (pk: string, n: number, now: number, signal: AbortSignal, max?: number) => {
    const ttl = num(seconds(Math.floor(now / 3_600_000 + 1) * 3_600_000) + COUNTER_GRACE_SECONDS);
    const input = update(table, pk, {
      update: 'ADD #n :n SET #ttl = :ttl',
      ...(max === undefined ? {} : { condition: 'attribute_not_exists(#n) OR #n <= :left' }),
      values: {
        ':n': num(n),
        ':ttl': ttl,
        ...(max === undefined ? {} : { ':left': num(max - n) }),
      },
    });
    return calls.update({ ...input, ReturnValues: 'UPDATED_NEW' }, signal);
  };

  return {
    read: (account, deviceIds, callOptions) =>
      calls.run('read', callOptions, deviceIds.length, (signal) =>
        readSnapshot(calls, encryptionKey, account, deviceIds, callOptions.now, signal),
      ),

    async lease(account, deviceIds, request, callOptions) {
      const { now } = callOptions;
      const [wanted, bound] =
        request.mode === 'miss'
          ? [`(${loose('#exp')} OR #exp < :bound)`, request.minValidUntil]
          : [`(${loose('#rat')} OR #rat < :bound)`, request.refreshNotBefore];
      const leaseUntil = now + request.leaseMs;
      const out = await eachItem(calls, 'lease', callOptions, deviceIds, async (id, signal) => {
        const input = update(table, storeKeys.token(account, id), {
          // A miss lease's item has no valid token: its TTL becomes the lease's,
          // so TTL cannot sweep an expired item away while its lease is live.
          update: `SET #lh = :h, #lu = :lu, #ttl = ${request.mode === 'miss' ? ':ttl' : 'if_not_exists(#ttl, :ttl)'}`,
          condition: `${LEASE_FREE} AND ${wanted}`,
          values: {
            ...TN,
            ':h': str(request.holder),
            ':lu': num(leaseUntil),
            ':ttl': num(seconds(leaseUntil) + 60),
            ':now': num(now),
            ':bound': num(bound),
          },
        });
        return (await calls.update(input, signal)) !== undefined;
      });
      const { done, refused, failed, fault } = out;
      return { granted: done, refused, unknown: failed, fault };
    },

    async write(account, entries, holder, callOptions) {
      const byId = new Map(entries.map((e) => [e.deviceId, e]));
      const out = await eachItem(
        calls,
        'write',
        callOptions,
        [...byId.keys()],
        async (id, signal) => {
          const { token, replace } = byId.get(id) as (typeof entries)[number];
          const pk = storeKeys.token(account, id);
          const { visualToken, expiresAt, refreshedAt } = token;
          const values: Record<string, AttributeValue> = {
            ...TN,
            ':ct': { B: seal(encryptionKey, visualToken, tokenAad(pk, expiresAt, refreshedAt)) },
            ':exp': num(expiresAt),
            ':ttl': num(seconds(expiresAt)),
            ':h': str(holder),
            ':now': num(callOptions.now),
          };
          if (refreshedAt !== undefined) values[':rat'] = num(refreshedAt);
          // A refresh's token replaces a longer-lived one (its caller found that
          // one rejected), unless a later refresh got there first; a takeover's
          // replaces whatever the unusable item held; a miss's never shortens a token.
          const newer =
            refreshedAt !== undefined
              ? ` AND (${loose('#rat')} OR #rat <= :rat)`
              : replace === true
                ? ''
                : ` AND (${loose('#exp')} OR #exp <= :exp)`;
          const input = update(table, pk, {
            update:
              refreshedAt === undefined
                ? 'SET #ct = :ct, #exp = :exp, #ttl = :ttl REMOVE #lh, #lu, #rat'
                : 'SET #ct = :ct, #exp = :exp, #ttl = :ttl, #rat = :rat REMOVE #lh, #lu',
            condition: `${LEASE_OURS_OR_FREE}${newer}`,
            values,
          });
          return (await calls.update(input, signal)) !== undefined;
        },
      );
      return { written: out.done, fault: out.fault };
    },

    async release(account, deviceIds, holder, callOptions) {
      const out = await eachItem(calls, 'release', callOptions, deviceIds, async (id, signal) => {
        const input = update(table, storeKeys.token(account, id), {
          update: 'REMOVE #lh, #lu',
          condition: '#lh = :h',
          values: { ':h': str(holder) },
        });
        return (await calls.update(input, signal)) !== undefined;
      });
      if (out.fault) throw out.fault;
    },

    openCircuit: (account, until, callOptions) =>
      calls.run('openCircuit', callOptions, 1, async (signal) => {
        const input = update(table, storeKeys.circuit(account), {
          update: 'SET #until = :until, #ttl = :ttl',
          condition: `${loose('#until')} OR #until < :until`,
          values: { ...TN, ':until': num(until), ':ttl': num(seconds(until) + 60) },
        });
        await calls.update(input, signal);
      }),

    countLogins: (account, n, callOptions) =>
      calls.run('countLogins', callOptions, 1, async (signal) => {
        const out = await add(
          storeKeys.budget(account, callOptions.now),
          n,
          callOptions.now,
          signal,
        );
        return Number(out?.Attributes?.[A.logins]?.N ?? n);
      }),

    reserveLogins: (account, reservation, callOptions) =>
      calls.run('reserveLogins', callOptions, 2, async (signal) => {
        const { now } = callOptions;
        const { logins, principal } = reservation;
        const counters = [{ pk: storeKeys.budget(account, now), max: reservation.accountMax }];
        if (principal !== undefined) {
          counters.push({
            pk: storeKeys.principalBudget(account, principal.key, now),
            max: principal.max,
          });
        }
        const taken = await Promise.all(counters.map((c) => add(c.pk, logins, now, signal, c.max)));
        if (taken.every((t) => t !== undefined)) return true;
        // One counter refused: give back what the other took, so a refused
        // caller does not spend the account's budget.
        await Promise.all(
          counters
            .filter((_, i) => taken[i] !== undefined)
            .map((c) => add(c.pk, -logins, now, signal)),
        );
        return false;
      }),
  };
}

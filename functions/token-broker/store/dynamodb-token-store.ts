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
import { createStoreCalls, eachItem, type StoreCalls } from './dynamodb-calls.ts';
import { A, COUNTER_GRACE_SECONDS, num, seconds, str, tokenAad, update } from './dynamodb-items.ts';
import { readSnapshot } from './dynamodb-snapshot.ts';
import { seal } from './token-crypto.ts';
import {
  type LeaseOutcomes,
  type LeaseRequest,
  type LoginReservation,
  type StoreCallOptions,
  type StoreEntry,
  storeKeys,
  type TokenStore,
  type WriteOutcomes,
} from './token-store.ts';

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

/** What every step of the adapter works with: one table's calls and its key. */
interface StoreContext {
  readonly calls: StoreCalls;
  readonly table: string;
  readonly encryptionKey: Buffer;
}

/** Adds `n` to an hour's counter; with `max`, only while the total stays at or under it. */
function addToCounter(
  { calls, table }: StoreContext,
  pk: string,
  n: number,
  now: number,
  signal: AbortSignal,
  max?: number,
) {
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
}

/** {@link TokenStore.lease}: one conditional write per device. */
async function leaseItems(
  { calls, table }: StoreContext,
  account: string,
  deviceIds: readonly string[],
  request: LeaseRequest,
  callOptions: StoreCallOptions,
): Promise<LeaseOutcomes> {
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
}

/** The conditional UpdateItem that stores one entry and drops `holder`'s lease on it. */
function writeInput(
  { table, encryptionKey }: StoreContext,
  pk: string,
  entry: StoreEntry,
  holder: string,
  now: number,
) {
  const { token, replace } = entry;
  const { visualToken, expiresAt, refreshedAt } = token;
  const values: Record<string, AttributeValue> = {
    ...TN,
    ':ct': { B: seal(encryptionKey, visualToken, tokenAad(pk, expiresAt, refreshedAt)) },
    ':exp': num(expiresAt),
    ':ttl': num(seconds(expiresAt)),
    ':h': str(holder),
    ':now': num(now),
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
  return update(table, pk, {
    update:
      refreshedAt === undefined
        ? 'SET #ct = :ct, #exp = :exp, #ttl = :ttl REMOVE #lh, #lu, #rat'
        : 'SET #ct = :ct, #exp = :exp, #ttl = :ttl, #rat = :rat REMOVE #lh, #lu',
    condition: `${LEASE_OURS_OR_FREE}${newer}`,
    values,
  });
}

/** {@link TokenStore.write}: one conditional write per device. */
async function writeItems(
  context: StoreContext,
  account: string,
  entries: readonly StoreEntry[],
  holder: string,
  callOptions: StoreCallOptions,
): Promise<WriteOutcomes> {
  const { calls } = context;
  const byId = new Map(entries.map((e) => [e.deviceId, e]));
  const out = await eachItem(calls, 'write', callOptions, [...byId.keys()], async (id, signal) => {
    const pk = storeKeys.token(account, id);
    const input = writeInput(context, pk, byId.get(id) as StoreEntry, holder, callOptions.now);
    return (await calls.update(input, signal)) !== undefined;
  });
  return { written: out.done, fault: out.fault };
}

/** {@link TokenStore.release}: drops `holder`'s lease on each device. */
async function releaseItems(
  { calls, table }: StoreContext,
  account: string,
  deviceIds: readonly string[],
  holder: string,
  callOptions: StoreCallOptions,
): Promise<void> {
  const out = await eachItem(calls, 'release', callOptions, deviceIds, async (id, signal) => {
    const input = update(table, storeKeys.token(account, id), {
      update: 'REMOVE #lh, #lu',
      condition: '#lh = :h',
      values: { ':h': str(holder) },
    });
    return (await calls.update(input, signal)) !== undefined;
  });
  if (out.fault) throw out.fault;
}

/** {@link TokenStore.reserveLogins}: takes from each counter, all or none. */
async function reserveOnCounters(
  context: StoreContext,
  account: string,
  reservation: LoginReservation,
  now: number,
  signal: AbortSignal,
): Promise<boolean> {
  const { logins, principal } = reservation;
  const counters = [{ pk: storeKeys.budget(account, now), max: reservation.accountMax }];
  if (principal !== undefined) {
    counters.push({
      pk: storeKeys.principalBudget(account, principal.key, now),
      max: principal.max,
    });
  }
  const taken = await Promise.all(
    counters.map((c) => addToCounter(context, c.pk, logins, now, signal, c.max)),
  );
  if (taken.every((t) => t !== undefined)) return true;
  // One counter refused: give back what the other took, so a refused
  // caller does not spend the account's budget.
  await Promise.all(
    counters
      .filter((_, i) => taken[i] !== undefined)
      .map((c) => addToCounter(context, c.pk, -logins, now, signal)),
  );
  return false;
}

/**
 * Creates the DynamoDB adapter of {@link TokenStore}.
 * @example
 * const store = createDynamoDbTokenStore({ client, tableName: 'tokens', encryptionKey });
 */
export function createDynamoDbTokenStore(options: DynamoDbTokenStoreOptions): TokenStore {
  const { client, tableName: table, encryptionKey, timeoutMs, batchGet } = options;
  const calls = createStoreCalls(client, table, timeoutMs ?? STORE_CALL_TIMEOUT_MS, batchGet);
  const context: StoreContext = { calls, table, encryptionKey };

  return {
    read: (account, deviceIds, callOptions) =>
      calls.run('read', callOptions, deviceIds.length, (signal) =>
        readSnapshot(calls, encryptionKey, account, deviceIds, callOptions.now, signal),
      ),

    lease: (account, deviceIds, request, callOptions) =>
      leaseItems(context, account, deviceIds, request, callOptions),

    write: (account, entries, holder, callOptions) =>
      writeItems(context, account, entries, holder, callOptions),

    release: (account, deviceIds, holder, callOptions) =>
      releaseItems(context, account, deviceIds, holder, callOptions),

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
        const { now } = callOptions;
        const out = await addToCounter(context, storeKeys.budget(account, now), n, now, signal);
        return Number(out?.Attributes?.[A.logins]?.N ?? n);
      }),

    reserveLogins: (account, reservation, callOptions) =>
      calls.run('reserveLogins', callOptions, 2, (signal) =>
        reserveOnCounters(context, account, reservation, callOptions.now, signal),
      ),
  };
}

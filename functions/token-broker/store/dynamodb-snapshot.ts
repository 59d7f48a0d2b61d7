/**
 * Turns the items of one BatchGetItem into a {@link StoreSnapshot}: tokens
 * decrypted and authenticated, live leases with their holders, the circuit
 * marker and the hour's login count. An item that cannot be used is a miss,
 * counted by reason, and its content is never looked at again.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { HeldToken } from '../token.ts';
import type { StoreCalls } from './dynamodb-calls.ts';
import { A, tokenAad } from './dynamodb-items.ts';
import { unseal } from './token-crypto.ts';
import {
  type StoreSnapshot,
  storeKeys,
  UNREADABLE_REASONS,
  type UnreadableReason,
} from './token-store.ts';

type Item = Record<string, AttributeValue>;

/** A number field: `undefined` when absent, `null` when present with another type. */
const numberField = (item: Item, name: string): number | undefined | null => {
  const value = item[name];
  if (value === undefined) return undefined;
  const n = value.N === undefined ? Number.NaN : Number(value.N);
  return Number.isFinite(n) ? n : null;
};

/** Reads the devices' items, the circuit marker and the budget counter of `account`. */
export async function readSnapshot(
  calls: StoreCalls,
  encryptionKey: Buffer,
  account: string,
  deviceIds: readonly string[],
  now: number,
  signal: AbortSignal,
): Promise<StoreSnapshot> {
  const byKey = new Map(deviceIds.map((id) => [storeKeys.token(account, id), id]));
  const circuitKey = storeKeys.circuit(account);
  const budgetKey = storeKeys.budget(account, now);
  const items = await calls.getAll([...byKey.keys(), circuitKey, budgetKey], signal);
  const tokens = new Map<string, HeldToken>();
  const leased = new Map<string, string>();
  const unreadable = new Map<UnreadableReason, number>();
  const skip = (reason: UnreadableReason) =>
    unreadable.set(reason, (unreadable.get(reason) ?? 0) + 1);
  let circuitOpenUntil: number | undefined;
  let loginsThisHour: number | undefined;
  for (const item of items) {
    const pk = item[A.pk]?.S ?? '';
    if (pk === circuitKey) circuitOpenUntil = numberField(item, A.openUntil) ?? undefined;
    else if (pk === budgetKey) loginsThisHour = numberField(item, A.logins) ?? undefined;
    const id = byKey.get(pk);
    if (id === undefined) continue;
    const leaseUntil = numberField(item, A.leaseUntil);
    const holder = item[A.leaseHolder]?.S;
    if (leaseUntil !== undefined && leaseUntil !== null && leaseUntil >= now) {
      leased.set(id, holder ?? '');
    }
    const token = tokenOf(item, pk, encryptionKey);
    if (token === 'absent') continue;
    if (typeof token === 'string') skip(token);
    else tokens.set(id, token);
  }
  return { tokens, leased, unreadable, circuitOpenUntil, loginsThisHour };
}

/** The item's token, `'absent'` for a lease-only item, or why it cannot be used. */
function tokenOf(item: Item, pk: string, key: Buffer): HeldToken | UnreadableReason | 'absent' {
  const expiresAt = numberField(item, A.expiresAt);
  const refreshedAt = numberField(item, A.refreshedAt);
  const sealed = item[A.ciphertext];
  if (sealed === undefined && expiresAt === undefined) return 'absent';
  if (sealed?.B === undefined || typeof expiresAt !== 'number' || refreshedAt === null) {
    return UNREADABLE_REASONS.typed;
  }
  const visualToken = unseal(key, sealed.B, tokenAad(pk, expiresAt, refreshedAt));
  if (visualToken === undefined) return UNREADABLE_REASONS.sealed;
  return refreshedAt === undefined
    ? { visualToken, expiresAt }
    : { visualToken, expiresAt, refreshedAt };
}

/**
 * Item layout and expression helpers of the DynamoDB token store.
 */
import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { PARTITION_KEY, TTL_ATTRIBUTE } from './token-store.ts';

/** Attribute names of the items; short, since every byte of an item is paid for. */
export const A = {
  pk: PARTITION_KEY,
  ttl: TTL_ATTRIBUTE,
  ciphertext: 'ct',
  expiresAt: 'exp',
  refreshedAt: 'rat',
  leaseHolder: 'lh',
  leaseUntil: 'lu',
  openUntil: 'until',
  logins: 'n',
} as const;

/**
 * The `#name` placeholders the expressions use, mapped to the attribute
 * names, so renaming an attribute (or {@link TTL_ATTRIBUTE}) cannot leave an
 * expression behind.
 */
const PLACEHOLDERS: Record<string, string> = {
  '#ttl': A.ttl,
  '#ct': A.ciphertext,
  '#exp': A.expiresAt,
  '#rat': A.refreshedAt,
  '#lh': A.leaseHolder,
  '#lu': A.leaseUntil,
  '#until': A.openUntil,
  '#n': A.logins,
};

/** DynamoDB's BatchGetItem limit of keys per call. */
export const BATCH_GET_MAX_KEYS = 100;
/** How long an hour's login counter outlives its hour, s. */
export const COUNTER_GRACE_SECONDS = 3 * 3600;

/** A number attribute value. */
export const num = (value: number): AttributeValue => ({ N: String(value) });
/** A string attribute value. */
export const str = (value: string): AttributeValue => ({ S: value });
/** Epoch ms to the epoch seconds DynamoDB's TTL reads, rounded up. */
export const seconds = (epochMs: number) => Math.ceil(epochMs / 1000);
/** A number attribute of an item, if present. */
export const readNum = (item: Record<string, AttributeValue>, name: string) => {
  const n = item[name]?.N;
  return n === undefined ? undefined : Number(n);
};

/** The authenticated data of a token item: its key and the plain fields. */
export const tokenAad = (pk: string, expiresAt: number, refreshedAt: number | undefined) =>
  `${pk}\n${expiresAt}\n${refreshedAt ?? ''}`;

/**
 * An UpdateItem whose expressions name attributes only by placeholder
 * (`#ttl`, `#lu`, …): `ttl`, `until` and others are reserved words.
 * @throws Error on a placeholder with no attribute (a programming error).
 */
export function update(
  table: string,
  pk: string,
  parts: {
    readonly update: string;
    readonly condition?: string;
    readonly values: Record<string, AttributeValue>;
  },
): UpdateItemCommandInput {
  const text = `${parts.update} ${parts.condition ?? ''}`;
  const names: Record<string, string> = {};
  for (const [placeholder] of text.matchAll(/#\w+/g)) {
    const name = PLACEHOLDERS[placeholder];
    if (name === undefined) throw new Error(`Unknown attribute placeholder ${placeholder}`);
    names[placeholder] = name;
  }
  return {
    TableName: table,
    Key: { [A.pk]: str(pk) },
    UpdateExpression: parts.update,
    ConditionExpression: parts.condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: parts.values,
  };
}

/** Whether an SDK error is a condition not met (a lost race, not a fault). */
export const isConditionFailure = (error: unknown) =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** A short, secret-free reason for logs: who gave up, or what the SDK or socket said. */
export function reasonOf(error: unknown, deadline: AbortSignal, caller: AbortSignal | undefined) {
  if (caller?.aborted) return 'ABORTED';
  if (deadline.aborted) return 'DEADLINE_EXCEEDED';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  return error instanceof Error ? error.name.slice(0, 80) : 'UNKNOWN';
}

/**
 * Creates the store's table when it is missing: for `npm start`, the fleet
 * demo and tests against a local engine. Deployed stacks get the table from
 * the construct. Kept apart from the adapter so the Lambda bundle never
 * carries table-level commands.
 *
 * Table creation has its own budget, longer than a store request's: it runs
 * once, before the ready line, often while several processes start together
 * and the engine is busiest, and a slow engine (moto, DynamoDB Local on a
 * loaded laptop) answers it in seconds where dynalite answers in
 * milliseconds.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { PARTITION_KEY } from './token-store.ts';

/**
 * The budget of table creation at start, ms: one DynamoDB attempt may take
 * `requestTimeout`, and every attempt and wait together `total`. Within
 * `total` each failed attempt is retried after a backoff, unless its error
 * is {@link PERMANENT_ERRORS permanent}; a store request gets one retry.
 */
export const TABLE_CREATION_BUDGET = {
  connectionTimeout: 2_000,
  requestTimeout: 10_000,
  total: 30_000,
} as const;

/** Errors that no retry mends: a wrong endpoint, credentials or request. */
const PERMANENT_ERRORS = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'ValidationException',
  'SerializationException',
  'InvalidSignatureException',
]);

const errorName = (error: unknown) => (error instanceof Error ? error.name : '');

/** The most telling name of a failure: its socket code, else its error name. */
const errorCode = (error: unknown) =>
  String((error as { code?: unknown }).code ?? (errorName(error) || typeof error));

/**
 * Creates `tableName` (partition key `partitionKey`, default `pk`, of type S,
 * on-demand) unless it
 * exists, and waits until it is ACTIVE. Several processes may call it at
 * once: the losers' `ResourceInUseException` is expected and they wait too.
 * A call that fails (a timeout, a throttle, a refused connection while the
 * engine starts) is tried again with backoff until `timeoutMs` has passed.
 * @throws Error naming the table and the last error, when the table is not
 *   ACTIVE within `timeoutMs` or an error is permanent.
 * @example
 * await ensureTable(createDynamoDbClient(TABLE_CREATION_BUDGET, { maxAttempts: 1 }), 'tokens');
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs: number = TABLE_CREATION_BUDGET.total,
  partitionKey: string = PARTITION_KEY,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  const pause = async (why: string, cause?: unknown) => {
    if (Date.now() + delay > deadline) {
      throw new Error(`Table ${tableName} is not ACTIVE after ${timeoutMs} ms (${why})`, {
        cause,
      });
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  };
  /** Runs `call`, again after each failure that may pass, until the deadline. */
  const retrying = async <T>(call: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (PERMANENT_ERRORS.has(errorName(error))) {
          throw new Error(`Table ${tableName} cannot be created (${errorName(error)})`, {
            cause: error,
          });
        }
        await pause(`last error: ${errorCode(error)}`, error);
      }
    }
  };
  const status = () =>
    retrying(async () => {
      try {
        const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
        return out.Table?.TableStatus;
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    });
  let current = await status();
  if (current === undefined) {
    await retrying(async () => {
      try {
        await client.send(
          new CreateTableCommand({
            TableName: tableName,
            AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
            KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } catch (error) {
        // Another process created it first, or an attempt that timed out here did: fine.
        if (errorName(error) !== 'ResourceInUseException') throw error;
      }
    });
    current = await status();
  }
  while (current !== 'ACTIVE') {
    await pause(`status ${current}`);
    current = await status();
  }
}

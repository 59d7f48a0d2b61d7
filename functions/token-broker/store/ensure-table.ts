/**
 * Creates the store's table when it is missing: for `npm start`, the fleet
 * demo and tests against a local engine. Deployed stacks get the table from
 * the construct. Kept apart from the adapter so the Lambda bundle never
 * carries table-level commands.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { PARTITION_KEY } from './token-store.ts';

const errorName = (error: unknown) => (error instanceof Error ? error.name : '');

/**
 * Creates `tableName` (partition key `pk` of type S, on-demand) unless it
 * exists, and waits until it is ACTIVE. Several processes may call it at
 * once: the losers' `ResourceInUseException` is expected and they wait too.
 * @throws Error when the table is not ACTIVE within `timeoutMs`.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const status = async () => {
    try {
      const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
      return out.Table?.TableStatus;
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  };
  let current = await status();
  if (current === undefined) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (error) {
      // Another process created it first: fine.
      if (errorName(error) !== 'ResourceInUseException') throw error;
    }
    current = await status();
  }
  for (let delay = 20; current !== 'ACTIVE'; delay = Math.min(delay * 2, 500)) {
    if (Date.now() > deadline) {
      throw new Error(`Table ${tableName} is not ACTIVE after ${timeoutMs} ms (${current})`);
    }
    await sleep(delay);
    current = await status();
  }
}

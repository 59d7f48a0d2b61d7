/**
 * One "container" of bench/store-writes.ts: at the agreed instant, sends
 * `devices` lease-shaped conditional UpdateItems in parallel, as the token
 * store's lease call does, and prints how long the slowest took, ms.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../functions/token-broker/store/dynamodb-client.ts';
import { sdkConfigFor } from '../test/support/dynalite.ts';

const [endpoint, table, devices, startAt, prefix] = process.argv.slice(2);
const client = createDynamoDbClient(
  { connectionTimeout: 5000, requestTimeout: 20_000 },
  sdkConfigFor(endpoint ?? ''),
);
// Warm the connection pool's first socket, as a warm container has.
await client.send(
  new UpdateItemCommand({
    TableName: table,
    Key: { pk: { S: `warm#${process.pid}` } },
    UpdateExpression: 'SET v = :v',
    ExpressionAttributeValues: { ':v': { N: '1' } },
  }),
);
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const started = performance.now();
const now = Date.now();
await Promise.all(
  Array.from({ length: Number(devices) }, (_, i) =>
    client
      .send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: `t#bench#${prefix}${i}` } },
          UpdateExpression: 'SET #lh = :h, #lu = :lu',
          ConditionExpression: '(attribute_not_exists(#lu) OR #lu < :now)',
          ExpressionAttributeNames: { '#lh': 'lh', '#lu': 'lu' },
          ExpressionAttributeValues: {
            ':h': { S: String(process.pid) },
            ':lu': { N: String(now + 10_000) },
            ':now': { N: String(now) },
          },
        }),
      )
      .catch((error: Error) => {
        if (error.name !== 'ConditionalCheckFailedException') throw error;
      }),
  ),
);
process.stdout.write(`${Math.round(performance.now() - started)}\n`);
client.destroy();

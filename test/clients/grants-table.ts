/**
 * A grants table on a real dynalite for the GrantsClient and grants CLI
 * tests: the engine of test/support/dynalite.ts, with a table of the
 * directory's layout (partition key `principal`, S) created through the SDK.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GRANTS_TABLE_LAYOUT } from '../../functions/token-broker/contract.ts';
import { type Dynalite, sdkConfigFor, startDynalite } from '../support/dynalite.ts';

/** The grants table the tests use. */
export const GRANTS_TEST_TABLE = 'visual-token-broker-grants';

/** A running dynalite holding {@link GRANTS_TEST_TABLE}. */
export interface GrantsTable {
  readonly dynalite: Dynalite;
  /** A plain SDK client (default retries and limits) pointed at it. */
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

/** Starts dynalite on loopback and creates {@link GRANTS_TEST_TABLE}. */
export async function startGrantsTable(): Promise<GrantsTable> {
  const dynalite = await startDynalite();
  const client = new DynamoDBClient(sdkConfigFor(dynalite.endpoint));
  await client.send(
    new CreateTableCommand({
      TableName: GRANTS_TEST_TABLE,
      AttributeDefinitions: [
        { AttributeName: GRANTS_TABLE_LAYOUT.partitionKey, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: GRANTS_TABLE_LAYOUT.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    dynalite,
    client,
    async close() {
      client.destroy();
      await dynalite.close();
    },
  };
}

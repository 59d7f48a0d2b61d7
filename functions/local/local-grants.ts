/**
 * The grants directory of `npm start`: with GRANTS_TABLE set, a DynamoDB
 * client pointed at the same local engine on loopback as the token store's
 * (AWS_ENDPOINT_URL_DYNAMODB), and the table created when missing, with the
 * budget and retries of the token table's creation. `npm run grants` then
 * writes to that table, and the next request reads it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BrokerConfig } from '../token-broker/config.ts';
import { ENV } from '../token-broker/config.ts';
import { GRANTS_TABLE_LAYOUT } from '../token-broker/contract.ts';
import { createDynamoDbClient, DYNAMODB_TIMEOUTS } from '../token-broker/store/dynamodb-client.ts';
import { ensureTable, TABLE_CREATION_BUDGET } from '../token-broker/store/ensure-table.ts';
import { DYNAMODB_ENDPOINT_ENV } from './local-settings.ts';
import { engineName, loopbackSdkConfig, withSetupClient } from './local-store.ts';

/** The local grants directory, ready for `createRuntime`. */
export interface LocalGrantsTable {
  /** The table's name (GRANTS_TABLE). */
  readonly table: string;
  /** The DynamoDB client, pointed at the loopback engine. */
  readonly client: DynamoDBClient;
  /** Where the directory is, for the start-up banner. */
  readonly description: string;
  /** What a terminal exports so that `npm run grants` writes to this table ({@link grantsCliExports}). */
  readonly cliExports: string;
  /** Releases the client's sockets. */
  close(): void;
}

/**
 * The `export` line that points `npm run grants` at a local table: the
 * table, the loopback endpoint, and a region and dummy credentials, since
 * the SDK signs every request and a loopback engine checks no signature.
 */
export function grantsCliExports(table: string, endpoint: string): string {
  return `export ${ENV.grantsTable}=${table} ${DYNAMODB_ENDPOINT_ENV}=${endpoint} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`;
}

/**
 * Opens the local grants directory when GRANTS_TABLE is set: checks the
 * endpoint, and creates the table (partition key `principal`, string) when
 * missing; processes starting at once tolerate each other.
 * @returns undefined when GRANTS_TABLE is unset: claim grants only, as today.
 * @throws ConfigurationError for an endpoint unset or off loopback, before any request.
 */
export async function openLocalGrantsTable(
  env: Readonly<Record<string, string | undefined>>,
  config: BrokerConfig,
): Promise<LocalGrantsTable | undefined> {
  const table = config.grantsTable;
  if (table === undefined || table === '') return undefined;
  const sdkConfig = loopbackSdkConfig(env, ENV.grantsTable);
  await withSetupClient(sdkConfig, (setup) =>
    ensureTable(setup, table, TABLE_CREATION_BUDGET.total, GRANTS_TABLE_LAYOUT.partitionKey),
  );
  const client = createDynamoDbClient(
    {
      connectionTimeout: DYNAMODB_TIMEOUTS.connectionTimeout,
      // A busy laptop runs the engine too: never tighter than the store's own deadline.
      requestTimeout: Math.max(DYNAMODB_TIMEOUTS.requestTimeout, config.tokenStoreTimeoutMs),
    },
    sdkConfig,
  );
  return {
    table,
    client,
    description: `directory on: table ${table} on ${engineName(env)} at ${sdkConfig.endpoint}`,
    cliExports: grantsCliExports(table, sdkConfig.endpoint),
    close: () => client.destroy(),
  };
}

/**
 * The grants directory of `npm start`: with GRANTS_TABLE set, the table on
 * the local engine on loopback (AWS_ENDPOINT_URL_DYNAMODB), created when
 * missing with the budget and retries of the token table's creation, and
 * read through the token store's own client when the store is on that
 * engine too, so that both reads join one BatchGetItem as in Lambda.
 * `npm run grants` then writes to that table, and the next request reads it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BrokerConfig } from '../token-broker/config.ts';
import { ENV } from '../token-broker/config.ts';
import { GRANTS_TABLE_LAYOUT } from '../token-broker/contract.ts';
import { createDynamoDbClient, DYNAMODB_TIMEOUTS } from '../token-broker/store/dynamodb-client.ts';
import { ensureTable, TABLE_CREATION_BUDGET } from '../token-broker/store/ensure-table.ts';
import { DYNAMODB_ENDPOINT_ENV } from './local-settings.ts';
import {
  engineName,
  type LocalTokenStore,
  type LoopbackSdkConfig,
  loopbackSdkConfig,
  withSetupClient,
} from './local-store.ts';

/** The local grants directory, ready for `createRuntime`. */
export interface LocalGrantsTable {
  /** The table's name (GRANTS_TABLE). */
  readonly table: string;
  /** The DynamoDB client, pointed at the loopback engine: the store's, when {@link sharesStoreClient}. */
  readonly client: DynamoDBClient;
  /** Whether {@link client} is the token store's: the store then owns it, and closes it. */
  readonly sharesStoreClient: boolean;
  /** Where the directory is, for the start-up banner. */
  readonly description: string;
  /** What a terminal exports so that `npm run grants` writes to this table ({@link grantsCliExports}). */
  readonly cliExports: string;
  /** Releases the client's sockets, unless the store owns them. */
  close(): void;
}

/** Whether two loopback configurations reach the same engine as the same signer. */
const sameEngine = (a: LoopbackSdkConfig, b: LoopbackSdkConfig): boolean =>
  a.endpoint === b.endpoint && a.region === b.region;

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
 * @param store - the local token store, if on: its client is shared when it is on the same engine
 * @returns undefined when GRANTS_TABLE is unset: claim grants only, as today.
 * @throws ConfigurationError for an endpoint unset or off loopback, before any request.
 */
export async function openLocalGrantsTable(
  env: Readonly<Record<string, string | undefined>>,
  config: BrokerConfig,
  store?: Pick<LocalTokenStore, 'client' | 'sdkConfig'>,
): Promise<LocalGrantsTable | undefined> {
  const table = config.grantsTable;
  if (table === undefined || table === '') return undefined;
  const sdkConfig = loopbackSdkConfig(env, ENV.grantsTable);
  await withSetupClient(sdkConfig, (setup) =>
    ensureTable(setup, table, TABLE_CREATION_BUDGET.total, GRANTS_TABLE_LAYOUT.partitionKey),
  );
  // The runtime joins reads per client: a client of its own would cost a second round trip.
  const shared = store !== undefined && sameEngine(store.sdkConfig, sdkConfig);
  const client = shared
    ? store.client
    : createDynamoDbClient(
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
    sharesStoreClient: shared,
    description: `directory on: table ${table} on ${engineName(env)} at ${sdkConfig.endpoint}`,
    cliExports: grantsCliExports(table, sdkConfig.endpoint),
    close: () => {
      if (!shared) client.destroy();
    },
  };
}

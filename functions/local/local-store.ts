/**
 * The fleet token store of `npm start`: with TOKEN_TABLE set, a DynamoDB
 * client pointed at a local engine (dynalite, for instance) on loopback,
 * the table created when missing, and the checkout's shared key in
 * `.dev/token-store-key`. Any other endpoint is refused: the local server
 * must never send a request off this machine on its own.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BrokerConfig } from '../token-broker/config.ts';
import { ENV } from '../token-broker/config.ts';
import type { SecretSource } from '../token-broker/credentials.ts';
import { ConfigurationError } from '../token-broker/errors.ts';
import {
  DEV_STORE_KEY_PATH,
  loadOrCreateDevStoreKey,
} from '../token-broker/store/dev-store-key.ts';
import { createDynamoDbClient, DYNAMODB_TIMEOUTS } from '../token-broker/store/dynamodb-client.ts';
import { ensureTable, TABLE_CREATION_BUDGET } from '../token-broker/store/ensure-table.ts';
import { DYNAMODB_ENDPOINT_ENV, LOCAL_ENV } from './local-settings.ts';

/**
 * TOKEN_STORE_KEY_SECRET_ID of the local server when unset: a name only,
 * since the key comes from {@link LOCAL_STORE_KEY_FILE}, never from Secrets Manager.
 */
export const LOCAL_STORE_KEY_SECRET_ID = 'local-dev-store-key';

/** Project root: `.dev/` lives there, shared by every local process of the checkout. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The checkout's local store key file. */
export const LOCAL_STORE_KEY_FILE = path.join(ROOT, DEV_STORE_KEY_PATH);

/**
 * Dummy static credentials for a loopback engine: the SDK signs every
 * request and would otherwise look for real ones (and, failing, call the
 * instance metadata endpoint). Never used for anything but loopback.
 */
const LOOPBACK_CREDENTIALS = {
  accessKeyId: 'AKIDLOCALSTORE',
  secretAccessKey: 'local-store-not-a-secret',
} as const;

const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The local store, ready for `createRuntime`'s `tokenStore`. */
export interface LocalTokenStore {
  /** The DynamoDB client, pointed at the loopback engine. */
  readonly client: DynamoDBClient;
  /** Where {@link client} points, so that the grants directory can share it. */
  readonly sdkConfig: LoopbackSdkConfig;
  /** The store key, from {@link LOCAL_STORE_KEY_FILE}. */
  readonly keySource: SecretSource;
  /** Where the store is, for the start-up banner. */
  readonly description: string;
  /** Releases the client's sockets. */
  close(): void;
}

/**
 * Checks that `raw` is an http(s) URL on loopback.
 * @param setting - the variable that asks for a table (TOKEN_TABLE, GRANTS_TABLE), for the message
 * @throws ConfigurationError naming {@link DYNAMODB_ENDPOINT_ENV} otherwise.
 */
export function loopbackEndpoint(
  raw: string | undefined,
  setting: string = ENV.tokenTable,
): string {
  const hint = `${DYNAMODB_ENDPOINT_ENV} must point at a DynamoDB engine on loopback (for example http://127.0.0.1:8000) when ${setting} is set: the local server never sends traffic off this machine`;
  if (raw === undefined || raw.trim() === '') {
    throw new ConfigurationError(`${hint}; it is not set`);
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch (cause) {
    throw new ConfigurationError(`${hint}; "${raw}" is not a URL`, { cause });
  }
  if (!['http:', 'https:'].includes(url.protocol) || !LOOPBACK_HOSTNAMES.has(url.hostname)) {
    throw new ConfigurationError(`${hint}; got ${url.protocol}//${url.host}`);
  }
  return url.origin;
}

/** The SDK configuration of a client of the loopback engine. */
export interface LoopbackSdkConfig {
  /** The engine's origin, checked to be on loopback. */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: typeof LOOPBACK_CREDENTIALS;
}

/**
 * The SDK configuration for the engine at AWS_ENDPOINT_URL_DYNAMODB.
 * @param setting - the variable that asks for a table, for the message
 * @throws ConfigurationError for an endpoint unset or off loopback.
 */
export function loopbackSdkConfig(
  env: Readonly<Record<string, string | undefined>>,
  setting: string,
): LoopbackSdkConfig {
  return {
    endpoint: loopbackEndpoint(env[DYNAMODB_ENDPOINT_ENV], setting),
    region: env.AWS_REGION || 'us-east-1',
    credentials: LOOPBACK_CREDENTIALS,
  };
}

/**
 * Runs `setup` with table creation's own client, then releases it: its
 * budget, not a store request's (see ensure-table.ts), and one SDK attempt,
 * since ensureTable retries.
 */
export async function withSetupClient(
  sdkConfig: LoopbackSdkConfig,
  setup: (client: DynamoDBClient) => Promise<void>,
): Promise<void> {
  const client = createDynamoDbClient(TABLE_CREATION_BUDGET, { ...sdkConfig, maxAttempts: 1 });
  try {
    await setup(client);
  } finally {
    client.destroy();
  }
}

/** The ready line's name of the engine: `npm run fleet` names its own. */
export const engineName = (env: Readonly<Record<string, string | undefined>>): string =>
  env[LOCAL_ENV.storeEngine]?.trim() || 'the DynamoDB engine';

/**
 * Opens the local store when TOKEN_TABLE is set: checks the endpoint,
 * creates the table when missing (processes starting at once tolerate each
 * other, with the longer budget of {@link TABLE_CREATION_BUDGET}) and the
 * shared key file when missing.
 * @returns undefined when TOKEN_TABLE is unset: no store, as today.
 * @throws ConfigurationError for an endpoint off loopback, before any request.
 */
export async function openLocalTokenStore(
  env: Readonly<Record<string, string | undefined>>,
  config: BrokerConfig,
  keyFile = LOCAL_STORE_KEY_FILE,
): Promise<LocalTokenStore | undefined> {
  const table = config.tokenTable;
  if (table === undefined || table === '') return undefined;
  const sdkConfig = loopbackSdkConfig(env, ENV.tokenTable);
  const { endpoint } = sdkConfig;
  let primed: string | undefined;
  await withSetupClient(sdkConfig, async (setup) => {
    await ensureTable(setup, table, TABLE_CREATION_BUDGET.total);
    // Created now, not on the first miss, so processes started together agree on one key.
    primed = await loadOrCreateDevStoreKey(keyFile);
  });
  const client = createDynamoDbClient(
    {
      connectionTimeout: DYNAMODB_TIMEOUTS.connectionTimeout,
      // A busy laptop runs the engine too: never tighter than the store's own deadline.
      requestTimeout: Math.max(DYNAMODB_TIMEOUTS.requestTimeout, config.tokenStoreTimeoutMs),
    },
    sdkConfig,
  );
  const relative = path.relative(process.cwd(), keyFile) || keyFile;
  return {
    client,
    sdkConfig,
    keySource: {
      name: `local key file ${relative}`,
      // The first read is the key just read: a file read would hold the first
      // request's store read past the turn its directory read is flushed in.
      read: () => {
        const key = primed;
        primed = undefined;
        return key === undefined ? loadOrCreateDevStoreKey(keyFile) : Promise.resolve(key);
      },
    },
    description: `table ${table} on ${engineName(env)} at ${endpoint}, key in ${relative}`,
    close: () => client.destroy(),
  };
}

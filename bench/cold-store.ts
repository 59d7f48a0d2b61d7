/**
 * The token store of the cold-start section: a table on dynalite served
 * over https with the benchmark's test CA (as the service is: over http the
 * SDK would load what a deployed broker never does), and its key as a
 * second secret in the fake Secrets Manager, which the broker reads in the
 * same call as the credentials.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalDynalite } from '../functions/local/local-dynalite.ts';
import { DYNAMODB_ENDPOINT_ENV } from '../functions/local/local-settings.ts';
import { ENV } from '../functions/token-broker/config.ts';
import { ensureTable } from '../functions/token-broker/store/ensure-table.ts';
import type { TestCa } from './test-ca.ts';

const TABLE = 'bench-tokens';
const KEY_SECRET_ID = 'bench/store-key';

/** A running store for cold-start children. */
export interface ColdStore {
  /** `base` plus the store's settings. */
  readonly env: Record<string, string>;
  /** Stops the engine. */
  close(): Promise<void>;
}

/** Starts the engine, creates the table and sets the key secret through `setSecret`. */
export async function startColdStore(
  ca: TestCa,
  setSecret: (value: string, secretId: string) => void,
  base: Record<string, string>,
): Promise<ColdStore> {
  const engine = await startLocalDynalite({ tls: { key: ca.key, cert: ca.cert } });
  const setup = new DynamoDBClient({
    endpoint: engine.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret-key' },
    requestHandler: { httpsAgent: new HttpsAgent({ ca: await readFile(ca.caFile, 'utf8') }) },
  });
  try {
    await ensureTable(setup, TABLE);
  } finally {
    setup.destroy();
  }
  setSecret(randomBytes(32).toString('base64url'), KEY_SECRET_ID);
  return {
    env: {
      ...base,
      [ENV.tokenTable]: TABLE,
      [ENV.tokenStoreKeySecretId]: KEY_SECRET_ID,
      [DYNAMODB_ENDPOINT_ENV]: engine.endpoint,
    },
    close: () => engine.close(),
  };
}

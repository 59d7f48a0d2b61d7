/**
 * Lambda entry point. Configuration is validated here, at init, so a bad
 * setting fails the cold start with the variable's name instead of failing
 * every request. (A variable that looks like a setting but is none is
 * warned about by `npm start` and at synth, not here: the matcher would not
 * fit the bundle budget.) The secrets are read on first use, never at import,
 * and the credentials and the token store key share one Secrets Manager call.
 */
import { loadConfig } from './config.ts';
import { createRuntime } from './runtime.ts';
import { createSecretsManagerReader } from './secrets-manager-reader.ts';
import { createSecretsManagerClient } from './secrets-manager-source.ts';
import { createDynamoDbClient } from './store/dynamodb-client.ts';

const config = loadConfig(process.env);
const secrets = createSecretsManagerReader(createSecretsManagerClient());
// One client for the token store and the grants directory: their reads share a BatchGetItem.
const dynamoDb =
  config.tokenTable === undefined && config.grantsTable === undefined
    ? undefined
    : createDynamoDbClient();

const runtime = createRuntime(config, {
  secretSource: secrets.source(config.secretId),
  // Every routed account's secret shares the cold start's one BatchGetSecretValue.
  secretSourceOf: secrets.source,
  ...(dynamoDb === undefined ||
  config.tokenTable === undefined ||
  config.tokenStoreKeySecretId === undefined
    ? {}
    : {
        tokenStore: {
          client: dynamoDb,
          keySource: secrets.source(config.tokenStoreKeySecretId),
        },
      }),
  ...(dynamoDb === undefined || config.grantsTable === undefined
    ? {}
    : { grantsDirectory: { client: dynamoDb } }),
});

/** The Lambda handler: `index.handler`. */
export const handler = runtime.handler;

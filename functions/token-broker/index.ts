/**
 * Lambda entry point. Configuration is validated here, at init, so a bad
 * setting fails the cold start with the variable's name instead of failing
 * every request, and a variable that looks like a setting but is none (a
 * typo that would leave the default in force) is logged as a warning, with
 * the same matcher as `npm start` and the synth-time context check. The
 * secrets are read on first use, never at import, and the credentials and
 * the token store key share one Secrets Manager call.
 */
import { loadConfig, lookalikeWarning, settingLookalikes } from './config.ts';
import { createLogger } from './log.ts';
import { createRuntime } from './runtime.ts';
import { createSecretsManagerReader } from './secrets-manager-reader.ts';
import { createSecretsManagerClient } from './secrets-manager-source.ts';
import { createDynamoDbClient } from './store/dynamodb-client.ts';

// Before the settings are read, so that a typo shows even when it fails the
// cold start (LOG_LEVEL is not read yet: the default level). Names only: a
// variable's value may be a secret.
const initLogger = createLogger();
for (const lookalike of settingLookalikes(process.env)) {
  initLogger.warn(lookalikeWarning(lookalike), { variable: lookalike.name });
}

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

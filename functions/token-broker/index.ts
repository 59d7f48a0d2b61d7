/**
 * Lambda entry point. Configuration is validated here, at init, so a bad
 * setting fails the cold start with the variable's name instead of failing
 * every request. The secret is read on first use, never at import.
 */
import { loadConfig } from './config.ts';
import { createSecretsManagerClient, secretsManagerSource } from './credentials.ts';
import { createRuntime } from './runtime.ts';

const config = loadConfig(process.env);

/** The Lambda handler: `index.handler`. */
export const handler = createRuntime(config, {
  secretSource: secretsManagerSource(createSecretsManagerClient(), config.secretId),
}).handler;

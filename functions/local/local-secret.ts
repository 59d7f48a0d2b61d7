/**
 * Where `npm start` takes the developer credentials from, and the check
 * that they are usable before the ready line: a file, Secrets Manager
 * (`SECRET_ID`) or the built-in dev secret. A missing file, a file that is
 * not JSON, a misspelt key or a Secrets Manager client with no region stops
 * the start with the message, instead of answering the first request with
 * an error.
 */
import { readFile } from 'node:fs/promises';
import { ENV } from '../token-broker/config.ts';
import { failureCode, parseCredentials, type SecretSource } from '../token-broker/credentials.ts';
import { ConfigurationError } from '../token-broker/errors.ts';
import {
  createSecretsManagerClient,
  secretsManagerSource,
} from '../token-broker/secrets-manager-source.ts';
import { LOCAL_ENV } from './local-settings.ts';
import { DEV_ACCOUNT, DEV_SIGNATURE_ACCOUNT, type SimulatorAccount } from './upstream-simulator.ts';

/** The simulator's gateway authentication: AppCode, or the AppKey/AppSecret signature. */
export function simulatorAccount(raw: string | undefined): SimulatorAccount {
  if (raw === undefined || raw === 'appCode') return DEV_ACCOUNT;
  if (raw === 'signature') return DEV_SIGNATURE_ACCOUNT;
  throw new ConfigurationError(
    `${LOCAL_ENV.simulatorGatewayAuth} must be appCode or signature, got "${raw}"`,
  );
}

/** The secret in a JSON file; a file that cannot be read is a configuration error. */
function fileSource(path: string): SecretSource {
  return {
    name: `file ${path}`,
    async read() {
      try {
        return await readFile(path, 'utf8');
      } catch (cause) {
        throw new ConfigurationError(
          `${LOCAL_ENV.secretFile} names ${path}, which cannot be read (${failureCode(cause) ?? 'error'})`,
          { cause },
        );
      }
    },
  };
}

/** The built-in dev secret, matching the simulator's account. */
const devSecretSource = (account: SimulatorAccount): SecretSource => ({
  name: 'built-in dev secret',
  read: async () => JSON.stringify(account),
});

/**
 * The Secrets Manager source of `secretId`, once a region is known: without
 * one every read fails deep in the SDK, which the broker could only answer
 * as Secrets Manager being unavailable.
 * @throws ConfigurationError when no region is configured.
 */
async function secretsManagerSourceWithRegion(secretId: string): Promise<SecretSource> {
  const client = createSecretsManagerClient();
  try {
    await client.config.region();
  } catch (cause) {
    client.destroy();
    throw new ConfigurationError(
      `${ENV.secretId} is set, so the secret is read from Secrets Manager, but no AWS region is configured: set AWS_REGION (or a region in the AWS profile)`,
      { cause },
    );
  }
  return secretsManagerSource(client, secretId);
}

/**
 * The secret source `npm start` uses: `BROKER_SECRET_FILE`, else
 * `SECRET_ID` (Secrets Manager), else the built-in dev secret.
 * @throws ConfigurationError for `SECRET_ID` without an AWS region.
 */
export async function localSecretSource(
  env: Readonly<Record<string, string | undefined>>,
  secretId: string,
  account: SimulatorAccount,
): Promise<SecretSource> {
  const file = env[LOCAL_ENV.secretFile];
  if (file !== undefined && file !== '') return fileSource(file);
  if (env[ENV.secretId]?.trim()) return secretsManagerSourceWithRegion(secretId);
  return devSecretSource(account);
}

/**
 * Reads the secret once and validates it as the broker will.
 * @param allowLoopbackHttp - as the runtime's: an account secret's `upstreamUrl` may be http on loopback
 * @throws ConfigurationError naming the source and the key at fault (never a
 *   value); CredentialsUnavailableError when Secrets Manager cannot be reached.
 */
export async function checkSecret(source: SecretSource, allowLoopbackHttp = false): Promise<void> {
  parseCredentials(await source.read(), source.name, allowLoopbackHttp);
}

/**
 * The Secrets Manager adapter of the {@link SecretSource} port: the client
 * with its time limits, one secret's reads, and how a failed read maps onto
 * the broker's errors (a deployment fault or an outage).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { failureCode, type SecretSource } from './credentials.ts';
import { type BrokerError, ConfigurationError, CredentialsUnavailableError } from './errors.ts';

/** Error names of Secrets Manager that mean the deployment is wrong, not the network. */
const CONFIGURATION_FAULTS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidParameterException',
  'InvalidRequestException',
  'ValidationException',
]);

/**
 * Time limits of one Secrets Manager attempt, in milliseconds. The SDK sets
 * none by default, and one read is shared by every request waiting for the
 * secret, so a hung connection would otherwise hang them all. With the SDK's
 * three attempts a dead endpoint costs at most about 9 s, inside the
 * function's timeout, and ends in CREDENTIALS_UNAVAILABLE.
 */
export const SECRETS_MANAGER_TIMEOUTS = {
  connectionTimeout: 1000,
  requestTimeout: 2000,
} as const;

/** Creates the Secrets Manager client the broker reads its secret with. */
export function createSecretsManagerClient(
  timeouts: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
  } = SECRETS_MANAGER_TIMEOUTS,
  config: ConstructorParameters<typeof SecretsManagerClient>[0] = {},
): SecretsManagerClient {
  // Without throwOnRequestTimeout the SDK only warns when requestTimeout passes.
  return new SecretsManagerClient({
    ...config,
    requestHandler: { ...timeouts, throwOnRequestTimeout: true },
  });
}

/**
 * The broker's error for a failed read of `secretId`: a configuration fault
 * (deleted secret, revoked access) or Secrets Manager being unavailable.
 * `name` is the service's error name or code when there is one.
 */
export function secretReadError(
  secretId: string,
  cause: unknown,
  name = cause instanceof Error ? cause.name : '',
): BrokerError {
  if (CONFIGURATION_FAULTS.has(name)) {
    return new ConfigurationError(`Secret ${secretId} could not be read (${name})`, { cause });
  }
  // The code, not only the name: a refused or reset socket is a plain "Error".
  const code = failureCode(cause) ?? (name || typeof cause);
  return new CredentialsUnavailableError(`Secrets Manager is unavailable (${code})`, { cause });
}

/** The error for a secret that holds no string. */
export const noSecretString = (secretId: string): ConfigurationError =>
  new ConfigurationError(
    `Secret ${secretId} has no SecretString (binary secrets are not supported)`,
  );

/** Reads the secret string from AWS Secrets Manager. */
export function secretsManagerSource(client: SecretsManagerClient, secretId: string): SecretSource {
  return {
    name: secretId,
    async read() {
      let secretString: string | undefined;
      try {
        ({ SecretString: secretString } = await client.send(
          new GetSecretValueCommand({ SecretId: secretId }),
        ));
      } catch (cause) {
        throw secretReadError(secretId, cause);
      }
      if (secretString === undefined) throw noSecretString(secretId);
      return secretString;
    },
  };
}

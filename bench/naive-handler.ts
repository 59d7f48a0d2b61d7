/**
 * The reference the broker is compared with: the obvious handler that reads
 * the secret with the SDK and logs in upstream with `fetch` on every request.
 * Built by the benchmark as a naive bundle (CJS, unminified, default
 * mainFields) and also called in-process. Not part of the product.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV } from '../functions/token-broker/config.ts';

/** The same path as the login client's LOGIN_PATH (checked by the benchmark). */
export const NAIVE_LOGIN_PATH = '/v1.0/openapi/visual/d/user/login';

const client = new SecretsManagerClient({});

/** Reads the secret, logs in for the event's devices, returns the tokens. */
export async function handler(event: {
  devices: Array<{ productKey: string; deviceName: string }>;
}) {
  const { SecretString } = await client.send(
    new GetSecretValueCommand({ SecretId: process.env[ENV.secretId] }),
  );
  const secret = JSON.parse(SecretString ?? '{}');
  const response = await fetch(`${process.env[ENV.upstreamUrl]}${NAIVE_LOGIN_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `APPCODE ${secret.appCode}` },
    body: JSON.stringify({
      userName: secret.userName,
      password: secret.password,
      deviceList: event.devices,
    }),
  });
  const body = await response.json();
  if (body.success !== true) throw new Error('upstream login failed');
  return { tokens: body.data.deviceVisualTokenList, failures: [] };
}

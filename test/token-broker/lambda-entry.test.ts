/**
 * The Lambda entry (index.ts) as the runtime loads it: a fresh process with
 * its own environment, the real Secrets Manager client against a loopback
 * endpoint: a secret that is missing or malformed is a configuration
 * error, never an internal one.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeSecretsManager,
  sdkEnvFor,
  startFakeSecretsManager,
} from '../support/secrets-manager-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRET_ID = 'lambda-entry-secret';
const EVENT = { devices: [{ productKey: 'pkA', deviceName: 'dev1' }] };

let secrets: FakeSecretsManager;

beforeAll(async () => {
  secrets = await startFakeSecretsManager('{}');
});

afterAll(async () => {
  await secrets?.close();
});

/** Loads index.ts in a child with `env` and sends one direct invocation. */
async function coldStart(env: Record<string, string>) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      path.join(ROOT, 'test/infra/invoke-bundle.ts'),
      'functions/token-broker/index.ts',
      JSON.stringify(EVENT),
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...sdkEnvFor(secrets.url),
        SECRET_ID,
        UPSTREAM_URL: 'https://gateway.example.invalid',
        ...env,
      },
    },
  );
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, outcome: lines.at(-1) as Record<string, unknown> };
}

describe('the Lambda entry with a bad secret', () => {
  it.each([
    ['missing', undefined],
    ['not JSON', 'userName=a'],
    ['holding a misspelt key', JSON.stringify({ userName: 'a', password: 'b', appcode: 'c' })],
    ['missing the password', JSON.stringify({ userName: 'a' })],
    ['a JSON array', '[]'],
  ])('fails when the secret is %s, with ConfigurationError', async (_, value) => {
    // Prepare
    if (value === undefined) secrets.remove(SECRET_ID);
    else secrets.setSecret(value, SECRET_ID);
    // Act
    const { outcome } = await coldStart({});
    // Assess
    expect(outcome).toMatchObject({ outcome: 'threw', name: 'ConfigurationError' });
  });
});

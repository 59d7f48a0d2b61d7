/**
 * The Lambda entry (index.ts) as the runtime loads it: a fresh process with
 * its own environment, the real Secrets Manager client against a loopback
 * endpoint. A variable that looks like a setting is warned about at init,
 * by name only, and a secret that is missing or malformed is a configuration
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

describe('the Lambda entry at init', () => {
  it('warns once per variable that looks like a setting, naming the setting, never the value', async () => {
    // Prepare
    secrets.remove(SECRET_ID);
    // Act
    const { lines } = await coldStart({
      MAX_DEVICE_PER_REQUEST: '1',
      UPSTREAM_RETRIES: 'value-that-must-not-be-logged',
    });
    // Assess
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings.map((l) => [l.variable, l.message])).toEqual([
      [
        'MAX_DEVICE_PER_REQUEST',
        'MAX_DEVICE_PER_REQUEST is not a setting and is ignored; did you mean MAX_DEVICES_PER_REQUEST?',
      ],
      ['UPSTREAM_RETRIES', 'UPSTREAM_RETRIES is not a setting and is ignored'],
    ]);
    expect(JSON.stringify(lines)).not.toContain('value-that-must-not-be-logged');
  });

  it('warns before a cold start that the typo makes fail', async () => {
    // Prepare: the URL under a misspelt name, so the required one is missing.
    const env = { UPSTREAM_URL: '', UPSTREAM_ULR: 'https://gateway.example.invalid' };
    // Act
    const failed = await coldStart(env).then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => error,
    );
    // Assess
    expect(failed?.stderr).toContain('UPSTREAM_URL is required');
    expect(
      failed?.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toMatchObject([
      {
        level: 'warn',
        variable: 'UPSTREAM_ULR',
        message: 'UPSTREAM_ULR is not a setting and is ignored; did you mean UPSTREAM_URL?',
      },
    ]);
  });

  it('warns about nothing when every variable is a setting or the platform’s', async () => {
    // Prepare
    secrets.remove(SECRET_ID);
    // Act
    const { lines } = await coldStart({
      MAX_DEVICES_PER_REQUEST: '1',
      AWS_LAMBDA_FUNCTION_NAME: 'f',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
      AWS_LAMBDA_LOG_LEVEL: 'INFO',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: '/var/task',
      _HANDLER: 'index.handler',
      _X_AMZN_TRACE_ID: 'Root=1-0-0',
      TZ: ':UTC',
    });
    // Assess
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
  });
});

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

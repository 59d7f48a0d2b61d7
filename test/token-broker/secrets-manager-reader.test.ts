/**
 * The coalescing Secrets Manager reader, through the real SDK against the
 * loopback fake endpoint: reads asked for in one tick share one call.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  CredentialsUnavailableError,
} from '../../functions/token-broker/errors.ts';
import { createSecretsManagerReader } from '../../functions/token-broker/secrets-manager-reader.ts';
import { sdkConfigFor } from '../support/dynalite.ts';
import {
  type FakeSecretsManager,
  startFakeSecretsManager,
} from '../support/secrets-manager-server.ts';

let sm: FakeSecretsManager | undefined;
afterEach(async () => {
  await sm?.close();
  sm = undefined;
});

const readerAt = (url: string) =>
  createSecretsManagerReader(new SecretsManagerClient({ ...sdkConfigFor(url), maxAttempts: 1 }));

const outcome = (p: Promise<string>) =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe('createSecretsManagerReader', () => {
  it('reads two secrets asked for together in one BatchGetSecretValue', async () => {
    // Prepare
    sm = await startFakeSecretsManager('default');
    sm.setSecret('credentials-value', 'broker/dev');
    sm.setSecret('store-key-value', 'broker/store-key');
    const reader = readerAt(sm.url);

    // Act
    const values = await Promise.all([
      reader.source('broker/dev').read(),
      reader.source('broker/store-key').read(),
    ]);

    // Assess
    expect(values).toEqual(['credentials-value', 'store-key-value']);
    expect(sm.operations).toEqual(['BatchGetSecretValue']);
  });

  it('reads one secret alone with GetSecretValue, and shares it among concurrent readers', async () => {
    // Prepare
    sm = await startFakeSecretsManager('only');
    const source = readerAt(sm.url).source('broker/dev');

    // Act
    const values = await Promise.all([source.read(), source.read()]);

    // Assess
    expect(values).toEqual(['only', 'only']);
    expect(sm.operations).toEqual(['GetSecretValue']);
  });

  it('fails when one secret of a batch is missing: that read is a configuration fault, the other succeeds', async () => {
    // Prepare
    sm = await startFakeSecretsManager('present');
    sm.remove('broker/store-key');
    const reader = readerAt(sm.url);

    // Act
    const [credentials, key] = await Promise.all([
      outcome(reader.source('broker/dev').read()),
      outcome(reader.source('broker/store-key').read()),
    ]);

    // Assess
    expect(credentials).toEqual({ value: 'present' });
    expect('error' in key && key.error).toBeInstanceOf(ConfigurationError);
    expect(String('error' in key && (key.error as Error).message)).toContain(
      'ResourceNotFoundException',
    );
    expect(sm.calls).toBe(1);
  });

  it('falls back to one GetSecretValue per secret when the role may not call BatchGetSecretValue', async () => {
    // Prepare
    sm = await startFakeSecretsManager('default');
    sm.setSecret('credentials-value', 'broker/dev');
    sm.setSecret('store-key-value', 'broker/store-key');
    sm.fail('accessDenied', 1);
    const reader = readerAt(sm.url);

    // Act
    const values = await Promise.all([
      reader.source('broker/dev').read(),
      reader.source('broker/store-key').read(),
    ]);

    // Assess
    expect(values).toEqual(['credentials-value', 'store-key-value']);
    expect(sm.operations).toEqual(['BatchGetSecretValue', 'GetSecretValue', 'GetSecretValue']);
  });

  it('fails when the batch call is throttled: every read is unavailable, not a configuration fault', async () => {
    // Prepare
    sm = await startFakeSecretsManager('x');
    sm.fail('throttle');
    const reader = readerAt(sm.url);

    // Act
    const results = await Promise.all([
      outcome(reader.source('a').read()),
      outcome(reader.source('b').read()),
    ]);

    // Assess
    for (const result of results) {
      expect('error' in result && result.error).toBeInstanceOf(CredentialsUnavailableError);
    }
    expect(sm.operations).toEqual(['BatchGetSecretValue']);
  });
});

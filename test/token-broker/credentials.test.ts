import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCredentialsProvider,
  parseCredentials,
  SECRET_PLACEHOLDER_USER_NAME,
} from '../../functions/token-broker/credentials.ts';
import { secretsManagerSource } from '../../functions/token-broker/secrets-manager-source.ts';
import { captureLogger, PLANTED, PLANTED_SECRET } from '../support/fakes.ts';

const smMock = mockClient(SecretsManagerClient);
afterEach(() => smMock.reset());

const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:broker-AbCdEf';

const provider = (clock: { now: number }) => {
  const logger = captureLogger();
  const credentials = createCredentialsProvider({
    source: secretsManagerSource(new SecretsManagerClient({ region: 'eu-west-1' }), SECRET_ID),
    ttlSeconds: 300,
    now: () => clock.now,
    logger,
  });
  return { credentials, logger };
};

describe('credentials from Secrets Manager', () => {
  it('fetches once however many requests arrive together', async () => {
    // Prepare
    smMock.on(GetSecretValueCommand).resolves({ SecretString: PLANTED_SECRET });
    const { credentials } = provider({ now: 0 });
    // Act
    const all = await Promise.all(Array.from({ length: 100 }, () => credentials.get()));
    // Assess
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(smMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ID,
    });
    expect(new Set(all).size).toBe(1);
    expect(all[0]).toEqual({
      userName: PLANTED.userName,
      password: PLANTED.password,
      gateway: { mode: 'appCode', appCode: PLANTED.appCode },
    });
  });

  it('serves from cache for SECRET_CACHE_SECONDS, then fetches again', async () => {
    // Prepare
    smMock.on(GetSecretValueCommand).resolves({ SecretString: PLANTED_SECRET });
    const clock = { now: 0 };
    const { credentials } = provider(clock);
    await credentials.get();
    // Act
    clock.now = 299_999;
    await credentials.get();
    const beforeExpiry = smMock.commandCalls(GetSecretValueCommand).length;
    clock.now = 300_000;
    await credentials.get();
    // Assess
    expect(beforeExpiry).toBe(1);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('does not fetch at creation', () => {
    // Prepare
    smMock.on(GetSecretValueCommand).resolves({ SecretString: PLANTED_SECRET });
    // Act
    provider({ now: 0 });
    // Assess
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it.each([
    ['ResourceNotFoundException', 'CONFIGURATION_ERROR'],
    ['AccessDeniedException', 'CONFIGURATION_ERROR'],
    ['InternalServiceError', 'CREDENTIALS_UNAVAILABLE'],
  ])(
    'fails when Secrets Manager answers %s, with %s and a log naming the secret',
    async (name, code) => {
      // Prepare
      smMock.on(GetSecretValueCommand).rejects(Object.assign(new Error('boom'), { name }));
      const { credentials, logger } = provider({ now: 0 });
      // Act
      const error = await credentials.get().catch((e: unknown) => e);
      // Assess
      expect(error).toMatchObject({ code });
      expect(logger.lines.some((l) => l.includes(SECRET_ID))).toBe(true);
    },
  );

  it('fails when the secret is binary', async () => {
    // Prepare
    smMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    const { credentials } = provider({ now: 0 });
    // Act
    const error = await credentials.get().catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({
      code: 'CONFIGURATION_ERROR',
      message: expect.stringContaining('SecretString'),
    });
  });
});

describe('parseCredentials', () => {
  it.each([
    ['appCode', { userName: 'u', password: 'p', appCode: 'c' }, { mode: 'appCode', appCode: 'c' }],
    [
      'appKey and appSecret',
      { userName: 'u', password: 'p', appKey: 'k', appSecret: 's' },
      { mode: 'signature', appKey: 'k', appSecret: 's' },
    ],
    ['no gateway credentials', { userName: 'u', password: 'p' }, { mode: 'none' }],
  ])('accepts a secret with %s', (_case, secret, gateway) => {
    expect(parseCredentials(JSON.stringify(secret), 's')).toEqual({
      userName: 'u',
      password: 'p',
      gateway,
    });
  });

  it.each([
    ['it is not JSON', `not json ${PLANTED.password}`, /is not valid JSON/],
    ['it is an array', '[]', /must be a JSON object/],
    [
      'userName is missing',
      JSON.stringify({ password: PLANTED.password }),
      /missing key "userName"/,
    ],
    ['password is missing', JSON.stringify({ userName: 'u' }), /missing key "password"/],
    [
      'password is empty',
      JSON.stringify({ userName: 'u', password: '' }),
      /"password" must be a non-empty string/,
    ],
    [
      'password is a number',
      JSON.stringify({ userName: 'u', password: 1234 }),
      /"password" must be a non-empty string/,
    ],
    [
      'a key is misspelt',
      JSON.stringify({ userName: 'u', password: PLANTED.password, appcode: PLANTED.appCode }),
      /unknown key "appcode"/,
    ],
    [
      'appCode and appKey are both set',
      JSON.stringify({ userName: 'u', password: 'p', appCode: 'c', appKey: 'k', appSecret: 's' }),
      /either/,
    ],
    [
      'appKey comes without appSecret',
      JSON.stringify({ userName: 'u', password: 'p', appKey: 'k' }),
      /together/,
    ],
    [
      'it is the placeholder the stack deploys',
      JSON.stringify({ userName: SECRET_PLACEHOLDER_USER_NAME, password: PLANTED.password }),
      /my-secret still holds the deploy placeholder \(key "userName".*fill it in/,
    ],
    [
      'the password is still a placeholder',
      JSON.stringify({
        userName: 'u',
        password: 'REPLACE-WITH-PASSWORD',
        appCode: PLANTED.appCode,
      }),
      /deploy placeholder \(key "password"/,
    ],
  ])('fails when %s, naming the problem but never a value', (_case, secret, message) => {
    // Act
    let error: unknown;
    try {
      parseCredentials(secret, 'my-secret');
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toMatchObject({
      code: 'CONFIGURATION_ERROR',
      message: expect.stringMatching(message),
    });
    expect((error as Error).message).toContain('my-secret');
    expect((error as Error).message).not.toContain(PLANTED.password);
    expect((error as Error).message).not.toContain(PLANTED.appCode);
    expect((error as Error).cause).toBeUndefined();
  });
});

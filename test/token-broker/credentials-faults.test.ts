import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createCredentialsProvider,
  secretsManagerSource,
} from '../../functions/token-broker/credentials.ts';
import { captureLogger, PLANTED_SECRET } from '../support/fakes.ts';
import {
  type FakeSecretsManager,
  type SecretsManagerFault,
  startFakeSecretsManager,
} from '../support/secrets-manager-server.ts';

const SECRET_ID = 'visual-token-broker/credentials';

describe('Secrets Manager faults, through the real SDK client', () => {
  let endpoint: FakeSecretsManager;
  beforeAll(async () => {
    endpoint = await startFakeSecretsManager(PLANTED_SECRET);
  });
  afterAll(() => endpoint.close());
  beforeEach(() => endpoint.fail('none'));

  const provider = () => {
    const logger = captureLogger();
    const client = new SecretsManagerClient({
      endpoint: endpoint.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret-key' },
    });
    const credentials = createCredentialsProvider({
      source: secretsManagerSource(client, SECRET_ID),
      ttlSeconds: 300,
      now: Date.now,
      logger,
    });
    return { credentials, logger };
  };

  it('retries throttling with backoff and then succeeds', async () => {
    // Prepare
    endpoint.fail('throttle', 2);
    const before = endpoint.calls;
    const { credentials } = provider();
    // Act
    const result = await credentials.get();
    // Assess
    expect(result.userName).toBe('canary-user');
    expect(endpoint.calls - before).toBe(3);
  });

  it.each<[SecretsManagerFault, string, number]>([
    ['notFound', 'CONFIGURATION_ERROR', 1],
    ['accessDenied', 'CONFIGURATION_ERROR', 1],
    ['serverError', 'CREDENTIALS_UNAVAILABLE', 3],
    ['reset', 'CREDENTIALS_UNAVAILABLE', 3],
  ])(
    'fails when the endpoint answers %s, with %s after %i attempt(s)',
    async (fault, code, attempts) => {
      // Prepare
      endpoint.fail(fault);
      const before = endpoint.calls;
      const { credentials, logger } = provider();
      // Act
      const error = await credentials.get().catch((e: unknown) => e);
      // Assess
      expect(error).toMatchObject({ code });
      expect(endpoint.calls - before).toBe(attempts);
      const line = logger.lines.map((l) => JSON.parse(l)).find((l) => l.level === 'error');
      expect(line).toMatchObject({ secret: SECRET_ID });
    },
  );
});

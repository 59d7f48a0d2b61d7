import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import {
  createCredentialsProvider,
  SECRET_PLACEHOLDER_USER_NAME,
  STALE_RETRY_MS,
} from '../../functions/token-broker/credentials.ts';
import type { HttpResponse } from '../../functions/token-broker/handler.ts';
import { createEmfMetrics } from '../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../functions/token-broker/runtime.ts';
import {
  createSecretsManagerClient,
  secretsManagerSource,
} from '../../functions/token-broker/secrets-manager-source.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';
import { captureLogger, fakeSecretSource, PLANTED, PLANTED_SECRET } from '../support/fakes.ts';
import {
  type FakeSecretsManager,
  type SecretsManagerFault,
  startFakeSecretsManager,
} from '../support/secrets-manager-server.ts';

const SECRET_ID = 'visual-token-broker/credentials';

let endpoint: FakeSecretsManager;
beforeAll(async () => {
  endpoint = await startFakeSecretsManager(PLANTED_SECRET);
});
afterAll(() => endpoint.close());
beforeEach(() => endpoint.fail('none'));

const sdkConfig = () => ({
  endpoint: endpoint.url,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret-key' },
});

const sdkClient = () => new SecretsManagerClient(sdkConfig());

const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l));

describe('Secrets Manager faults, through the real SDK client', () => {
  const provider = (
    clock: { now: number } = { now: Date.now() },
    maxStaleSeconds = 3600,
    client = sdkClient(),
  ) => {
    const logger = captureLogger();
    const credentials = createCredentialsProvider({
      source: secretsManagerSource(client, SECRET_ID),
      ttlSeconds: 300,
      maxStaleSeconds,
      now: () => clock.now,
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
      const line = parsed(logger.lines).find((l) => l.level === 'error');
      expect(line).toMatchObject({ secret: SECRET_ID });
    },
  );

  it('fails when the endpoint never answers, with CREDENTIALS_UNAVAILABLE once the client time limits run out', async () => {
    // Prepare
    endpoint.fail('hang');
    const before = endpoint.calls;
    const client = createSecretsManagerClient(
      { connectionTimeout: 100, requestTimeout: 150 },
      sdkConfig(),
    );
    const { credentials } = provider(undefined, 3600, client);
    // Act
    const error = await credentials.get().catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE' });
    expect(endpoint.calls - before).toBe(3);
  });
});

describe('stale-if-error (SECRET_MAX_STALE_SECONDS)', () => {
  const setup = (maxStaleSeconds = 3600) => {
    const clock = { now: 1_795_305_600_000 };
    const logger = captureLogger();
    const metricLines: string[] = [];
    const metrics = createEmfMetrics({ write: (l) => metricLines.push(l) });
    const credentials = createCredentialsProvider({
      source: secretsManagerSource(sdkClient(), SECRET_ID),
      ttlSeconds: 300,
      maxStaleSeconds,
      now: () => clock.now,
      logger,
      metrics,
    });
    return { clock, logger, credentials, metrics, metricLines };
  };

  it('serves the cached secret when a refresh fails transiently, with a warning naming the secret', async () => {
    // Prepare
    const { clock, logger, credentials } = setup();
    await credentials.get();
    clock.now += 301_000;
    endpoint.fail('serverError');
    const before = endpoint.calls;
    // Act
    const served = await credentials.get();
    // Assess
    expect(served.password).toBe(PLANTED.password);
    expect(endpoint.calls - before).toBe(3);
    expect(parsed(logger.lines)).toEqual([
      expect.objectContaining({
        level: 'warn',
        secret: SECRET_ID,
        errorName: 'CredentialsUnavailableError',
        ageSeconds: 301,
        maxStaleSeconds: 3600,
      }),
    ]);
    expect(logger.lines.join('\n')).not.toContain(PLANTED.password);
  });

  it.each([
    ['reset', 'ECONNRESET'],
    ['serverError', 'InternalServiceError'],
  ] as const)(
    'names the error code in the stale-if-error warning when the store fails with %s',
    async (fault, code) => {
      // Prepare
      const { clock, logger, credentials } = setup();
      await credentials.get();
      clock.now += 301_000;
      endpoint.fail(fault);
      // Act
      await credentials.get();
      // Assess
      const [warning] = parsed(logger.lines);
      expect(warning).toMatchObject({
        level: 'warn',
        message: `Could not refresh the developer credentials (${code}); serving the cached secret`,
        errorCode: code,
        errorMessage: `Secrets Manager is unavailable (${code})`,
      });
    },
  );

  it('names the socket code when nothing listens: ECONNREFUSED, not "Error"', async () => {
    // Prepare
    const clock = { now: 1_795_305_600_000 };
    const logger = captureLogger();
    const client = new SecretsManagerClient({
      ...sdkConfig(),
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    let fail = false;
    const real = secretsManagerSource(client, SECRET_ID);
    const credentials = createCredentialsProvider({
      source: {
        name: SECRET_ID,
        read: () => (fail ? real.read() : Promise.resolve(PLANTED_SECRET)),
      },
      ttlSeconds: 300,
      maxStaleSeconds: 3600,
      now: () => clock.now,
      logger,
    });
    await credentials.get();
    clock.now += 301_000;
    fail = true;
    // Act
    const served = await credentials.get();
    // Assess
    expect(served.userName).toBe(PLANTED.userName);
    expect(parsed(logger.lines)).toEqual([
      expect.objectContaining({ level: 'warn', errorCode: 'ECONNREFUSED' }),
    ]);
  });

  it('asks the store again only after STALE_RETRY_MS while serving stale', async () => {
    // Prepare
    const { clock, credentials } = setup();
    await credentials.get();
    clock.now += 301_000;
    endpoint.fail('reset');
    await credentials.get();
    const before = endpoint.calls;
    // Act
    await credentials.get();
    const quiet = endpoint.calls - before;
    clock.now += STALE_RETRY_MS;
    await credentials.get();
    // Assess
    expect(quiet).toBe(0);
    expect(endpoint.calls - before).toBe(3);
  });

  it('fails when the secret is older than the cache time plus SECRET_MAX_STALE_SECONDS', async () => {
    // Prepare
    const { clock, credentials, logger } = setup(600);
    await credentials.get();
    clock.now += (300 + 600) * 1000;
    endpoint.fail('serverError');
    // Act
    const error = await credentials.get().catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE' });
    expect(parsed(logger.lines)).toEqual([
      expect.objectContaining({ level: 'error', secret: SECRET_ID }),
    ]);
  });

  it.each<SecretsManagerFault>(['accessDenied', 'notFound'])(
    'fails when a refresh finds %s: revoked access is never papered over',
    async (fault) => {
      // Prepare
      const { clock, credentials } = setup();
      await credentials.get();
      clock.now += 301_000;
      endpoint.fail(fault);
      // Act
      const error = await credentials.get().catch((e: unknown) => e);
      // Assess
      expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR' });
    },
  );

  it('fails when SECRET_MAX_STALE_SECONDS is 0', async () => {
    // Prepare
    const { clock, credentials } = setup(0);
    await credentials.get();
    clock.now += 301_000;
    endpoint.fail('serverError');
    // Act
    const error = await credentials.get().catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE' });
  });

  it('counts fetches, failures and stale serves as metrics', async () => {
    // Prepare
    const { clock, credentials, metrics, metricLines } = setup();
    await credentials.get();
    clock.now += 301_000;
    endpoint.fail('serverError');
    await credentials.get();
    await credentials.get();
    // Act
    metrics.flush('fn');
    // Assess
    expect(metricLines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ SecretFetches: 2, SecretFetchFailures: 1, StaleSecretServed: 2 }),
    ]);
  });
});

describe('Secrets Manager faults as the caller sees them (fail closed)', () => {
  let simulator: UpstreamSimulator;
  beforeAll(async () => {
    simulator = await startUpstreamSimulator({ account: PLANTED });
  });
  afterAll(() => simulator.close());

  const callOnce = async () => {
    const logger = captureLogger();
    const config = loadConfig(
      { SECRET_ID: SECRET_ID, UPSTREAM_URL: simulator.url },
      { allowLoopbackHttp: true },
    );
    const { handler } = createRuntime(config, {
      secretSource: secretsManagerSource(sdkClient(), config.secretId),
      logger,
      metrics: createEmfMetrics({ write: () => {} }),
    });
    const response = (await handler(
      httpApiEvent({ body: { devices: [{ productKey: 'pk1', deviceName: 'd1' }] } }),
      lambdaContext(),
    )) as HttpResponse;
    return { response, logger };
  };

  it('answers 200 after the SDK retried throttling', async () => {
    // Prepare
    endpoint.fail('throttle', 2);
    const before = simulator.requests();
    // Act
    const { response } = await callOnce();
    // Assess
    expect(response.statusCode).toBe(200);
    expect(simulator.requests() - before).toBe(1);
  });

  it.each<[SecretsManagerFault, number, string]>([
    ['notFound', 500, 'CONFIGURATION_ERROR'],
    ['accessDenied', 500, 'CONFIGURATION_ERROR'],
    ['serverError', 503, 'CREDENTIALS_UNAVAILABLE'],
    ['reset', 503, 'CREDENTIALS_UNAVAILABLE'],
  ])(
    'fails when Secrets Manager answers %s: %i %s, and never calls the upstream',
    async (fault, status, code) => {
      // Prepare
      endpoint.fail(fault);
      const before = simulator.requests();
      // Act
      const { response, logger } = await callOnce();
      // Assess
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(response.body)).toMatchObject({ status, code });
      expect(response.body).not.toContain(SECRET_ID);
      expect(simulator.requests() - before).toBe(0);
      expect(parsed(logger.lines)).toContainEqual(
        expect.objectContaining({ level: 'error', secret: SECRET_ID }),
      );
    },
  );
});

describe('the deploy placeholder secret', () => {
  it('fails when the secret is still the placeholder the stack deploys: 500 CONFIGURATION_ERROR, a log line naming the secret, no upstream call', async () => {
    // Prepare
    const logger = captureLogger();
    const placeholder = JSON.stringify({
      userName: SECRET_PLACEHOLDER_USER_NAME,
      password: 'generatedByCloudFormation0123456789',
    });
    let posts = 0;
    const config = loadConfig({ SECRET_ID, UPSTREAM_URL: 'https://upstream.invalid' });
    const { handler } = createRuntime(config, {
      secretSource: { ...fakeSecretSource(placeholder), name: SECRET_ID },
      logger,
      metrics: createEmfMetrics({ write: () => {} }),
      transport: {
        async post() {
          posts += 1;
          throw new Error('no upstream call was expected');
        },
      },
    });
    // Act
    const response = (await handler(
      httpApiEvent({ body: { devices: [{ productKey: 'pk1', deviceName: 'cam1' }] } }),
      lambdaContext(),
    )) as HttpResponse;
    // Assess
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body).code).toBe('CONFIGURATION_ERROR');
    expect(posts).toBe(0);
    expect(parsed(logger.lines)).toContainEqual(
      expect.objectContaining({
        level: 'error',
        secret: SECRET_ID,
        errorMessage: expect.stringMatching(
          new RegExp(`^Secret ${SECRET_ID} still holds the deploy placeholder.*fill it in`),
        ),
      }),
    );
  });
});

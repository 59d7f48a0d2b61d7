/**
 * The Lambda client with the real SDK against a loopback Invoke endpoint
 * that runs the real handler, so names and messages are the ones the broker
 * actually raises.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  invokeTokenBroker,
  LambdaTokenClient,
  TokenBrokerInvokeError,
} from '../../clients/lambda-client.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import * as broker from '../../functions/token-broker/errors.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger, fakeLoginClient } from '../support/fakes.ts';
import { handlerHarness } from '../support/handler-harness.ts';
import { type LambdaEndpoint, startLambdaEndpoint } from '../support/lambda-endpoint.ts';

const A = { productKey: 'pkA', deviceName: 'cam-1' };

/** What the broker function raises, by function name. */
const FAILURES: Record<string, () => Error> = {
  'upstream-timeout': () => new broker.UpstreamTimeoutError('slow'),
  'upstream-rejected': () => new broker.UpstreamRejectedError('success:false'),
  'upstream-error': () => new broker.UpstreamError('HTTP 500'),
  configuration: () => new broker.ConfigurationError('Secret x is missing key "password"'),
  credentials: () => new broker.CredentialsUnavailableError('Secrets Manager is unavailable'),
  forbidden: () => new broker.ForbiddenDeviceError([A]),
  bug: () => new TypeError('Cannot read properties of undefined'),
};

/** Errors the runtime reports that the core broker has no class for yet, or ever. */
const RAW: Record<string, () => Error> = {
  unavailable: () =>
    Object.assign(new Error('UPSTREAM_UNAVAILABLE: The provider is unavailable. Retry later.'), {
      name: 'UpstreamUnavailableError',
    }),
  // Named as the broker names it, with a message that does not start with
  // the code: the code must come from `errorType`, not from the message.
  budget: () =>
    Object.assign(new Error('The broker has spent its hourly budget.'), {
      name: 'UpstreamBudgetExceededError',
    }),
  'sandbox-timeout': () =>
    Object.assign(new Error('Task timed out after 3.00 seconds'), { name: 'Sandbox.Timedout' }),
};

let endpoint: LambdaEndpoint;
let lambda: LambdaClient;
let arrived: () => void = () => {};

beforeAll(async () => {
  endpoint = await startLambdaEndpoint((name, event, context) => {
    if (name === 'hanging') {
      arrived();
      return new Promise(() => {});
    }
    const raw = RAW[name];
    if (raw) throw raw();
    const fail = FAILURES[name];
    const { handler } = handlerHarness(fail ? { upstream: fakeLoginClient({ fail }) } : {});
    return handler(event, context);
  });
  lambda = new LambdaClient({
    endpoint: endpoint.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  lambda.destroy();
  await endpoint.close();
});

describe('invokeTokenBroker', () => {
  it('returns the tokens and failures the function returns', async () => {
    // Act
    const result = await invokeTokenBroker(lambda, 'ok', [A, A]);
    // Assess
    expect(result).toEqual({
      tokens: [
        {
          ...A,
          visualToken: expect.any(String),
          expiresAt: expect.any(String),
          expiresIn: expect.any(Number),
        },
      ],
      failures: [],
    });
    expect(endpoint.invoked.at(-1)).toBe('ok');
  });

  it('fails when the devices are invalid, with INVALID_REQUEST naming the field', async () => {
    // Act
    const error = await invokeTokenBroker(lambda, 'ok', [
      { productKey: 'pk', deviceName: 'a b' },
    ]).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerInvokeError);
    expect(error).toMatchObject({
      name: 'InvalidRequestError',
      errorType: 'InvalidRequestError',
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('devices[0].deviceName'),
    });
  });

  it.each([
    ['upstream-timeout', 'UpstreamTimeoutError', 'UPSTREAM_TIMEOUT'],
    ['upstream-rejected', 'UpstreamRejectedError', 'UPSTREAM_REJECTED'],
    ['upstream-error', 'UpstreamError', 'UPSTREAM_ERROR'],
    ['configuration', 'ConfigurationError', 'CONFIGURATION_ERROR'],
    ['credentials', 'CredentialsUnavailableError', 'CREDENTIALS_UNAVAILABLE'],
    ['forbidden', 'ForbiddenDeviceError', 'FORBIDDEN_DEVICE'],
    ['bug', 'InternalError', 'INTERNAL_ERROR'],
    ['unavailable', 'UpstreamUnavailableError', 'UPSTREAM_UNAVAILABLE'],
    ['budget', 'UpstreamBudgetExceededError', 'UPSTREAM_BUDGET_EXCEEDED'],
  ] as const)('fails when the function raises %s, with %s', async (fn, name, code) => {
    // Act
    const error = await invokeTokenBroker(lambda, fn, [A]).catch((e: unknown) => e);
    // Assess
    expect(error?.constructor).toBe(TokenBrokerInvokeError);
    expect(error).toMatchObject({ name, code, errorType: name });
    expect((error as Error).message).not.toContain('password');
  });

  it('fails when Lambda times the function out, with FUNCTION_ERROR and the errorType', async () => {
    // Act
    const error = await invokeTokenBroker(lambda, 'sandbox-timeout', [A]).catch((e: unknown) => e);
    // Assess
    expect(error?.constructor).toBe(TokenBrokerInvokeError);
    expect(error).toMatchObject({
      name: 'Sandbox.Timedout',
      code: 'FUNCTION_ERROR',
      message: 'Task timed out after 3.00 seconds',
    });
  });

  it('fails when Lambda refuses the call, with INVOKE_FAILED and the SDK error as cause', async () => {
    // Prepare
    const elsewhere = new LambdaClient({
      endpoint: `${endpoint.url}/nowhere`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
      maxAttempts: 1,
    });
    // Act
    const error = await invokeTokenBroker(elsewhere, 'ok', [A]).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({
      name: 'TokenBrokerInvokeError',
      code: 'INVOKE_FAILED',
      cause: expect.objectContaining({ name: 'ResourceNotFoundException' }),
    });
    elsewhere.destroy();
  });

  it('fails when the signal aborts a pending invocation, with AbortError', async () => {
    // Prepare
    const controller = new AbortController();
    const seen = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // Act
    const pending = invokeTokenBroker(lambda, 'hanging', [A], { signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    await seen;
    controller.abort();
    const error = await pending;
    // Assess
    expect(error).toMatchObject({ name: 'AbortError' });
  });
});

describe('LambdaTokenClient', () => {
  it('invokes the function it was built for', async () => {
    // Prepare
    const client = new LambdaTokenClient({ functionName: 'ok', client: lambda });
    // Act
    const result = await client.getTokens([A]);
    // Assess
    expect(result.tokens.map((t) => t.deviceName)).toEqual(['cam-1']);
    expect(endpoint.invoked.at(-1)).toBe('ok');
  });

  it('fails when the function fails, with the code of its error', async () => {
    // Prepare
    const client = new LambdaTokenClient({ functionName: 'upstream-timeout', client: lambda });
    // Act
    const error = await client.getTokens([A]).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerInvokeError);
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  it.each([
    [{ refresh: true }, { devices: [A], refresh: true }],
    [{}, { devices: [A] }],
  ])('sends %j as the invocation payload %j', async (options, payload) => {
    // Prepare
    const client = new LambdaTokenClient({ functionName: 'ok', client: lambda });
    // Act
    await client.getTokens([A], options);
    // Assess
    expect(endpoint.events.at(-1)).toEqual(payload);
  });
});

describe('LambdaTokenClient against the local server (npm start)', () => {
  let server: LocalServer;
  let local: LambdaClient;
  beforeAll(async () => {
    server = await startLocalServer({
      metrics: NO_METRICS,
      env: {},
      port: 0,
      logger: captureLogger(),
    });
    local = new LambdaClient({
      endpoint: server.url,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    local.destroy();
    await server.close();
  });

  it('gets tokens through the local Invoke API', async () => {
    // Prepare
    const client = new LambdaTokenClient({ functionName: 'visual-token-broker', client: local });
    // Act
    const result = await client.getTokens([A]);
    // Assess
    expect(result.failures).toEqual([]);
    expect(result.tokens).toEqual([
      expect.objectContaining({ ...A, visualToken: expect.stringMatching(/^eyJ/) }),
    ]);
  });

  it('fails when the devices are invalid, with INVALID_REQUEST from the real handler', async () => {
    // Prepare
    const client = new LambdaTokenClient({ functionName: 'visual-token-broker', client: local });
    // Act
    const error = await client.getTokens([]).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerInvokeError);
    expect(error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'INVALID_REQUEST: devices: must not be empty',
    });
  });
});

/**
 * The retry hint of TokenBrokerInvokeError: a direct invocation gets no
 * `Retry-After` header, so the error says whether a retry may succeed, and
 * how long the broker (in its message's wait field) or Lambda, when it
 * throttled the call, asked to wait.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  invokeTokenBroker,
  RETRY_LATER_CODES,
  TokenBrokerInvokeError,
} from '../../clients/lambda-client.ts';
import { ERROR_CODES } from '../../functions/token-broker/contract.ts';
import { ERROR_CATALOGUE } from '../../functions/token-broker/error-catalogue.ts';
import {
  GrantsUnavailableError,
  UpstreamBudgetExceededError,
  UpstreamUnavailableError,
} from '../../functions/token-broker/errors.ts';
import { createHandler } from '../../functions/token-broker/handler.ts';
import { captureLogger } from '../support/fakes.ts';
import { type LambdaEndpoint, startLambdaEndpoint } from '../support/lambda-endpoint.ts';

const A = { productKey: 'pkA', deviceName: 'cam-1' };

const sdk = (endpoint: string) =>
  new LambdaClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
    maxAttempts: 1,
  });

let endpoint: LambdaEndpoint;
let lambda: LambdaClient;
beforeAll(async () => {
  endpoint = await startLambdaEndpoint((name) => {
    throw Object.assign(new Error(`${name}: the broker failed`), { name });
  });
  lambda = sdk(endpoint.url);
});
afterAll(async () => {
  lambda.destroy();
  await endpoint.close();
});

describe('TokenBrokerInvokeError retry hint', () => {
  it.each([
    ['UpstreamUnavailableError', 'UPSTREAM_UNAVAILABLE', true],
    ['UpstreamBudgetExceededError', 'UPSTREAM_BUDGET_EXCEEDED', true],
    ['UpstreamTimeoutError', 'UPSTREAM_TIMEOUT', true],
    ['CredentialsUnavailableError', 'CREDENTIALS_UNAVAILABLE', true],
    ['InvalidRequestError', 'INVALID_REQUEST', false],
    ['UpstreamRejectedError', 'UPSTREAM_REJECTED', false],
    ['ConfigurationError', 'CONFIGURATION_ERROR', false],
  ] as const)(
    'marks %s (%s) retryable: %s, with no wait it cannot know',
    async (errorType, code, retryable) => {
      // Act
      const error = await invokeTokenBroker(lambda, errorType, [A]).catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(TokenBrokerInvokeError);
      expect(error).toMatchObject({ code, retryable, retryAfterSeconds: undefined });
    },
  );

  it.each([
    ['UPSTREAM_UNAVAILABLE', new UpstreamUnavailableError('circuit open', 30), 30],
    ['UPSTREAM_BUDGET_EXCEEDED', new UpstreamBudgetExceededError('1000 logins', 1200), 1200],
    ['GRANTS_UNAVAILABLE', new GrantsUnavailableError('directory down', 5), 5],
  ] as const)(
    'fails with %s from the broker’s handler, retryable, with the broker’s wait and no header named',
    async (code, thrown, wait) => {
      // Prepare: the real handler, its broker failing as the circuit, budget or directory would.
      const handler = createHandler({
        broker: { getTokens: () => Promise.reject(thrown) },
        logger: captureLogger(),
        maxDevicesPerRequest: 50,
      });
      const broker = await startLambdaEndpoint((_name, event, context) => handler(event, context));
      const client = sdk(broker.url);
      // Act
      const error = await invokeTokenBroker(client, 'broker', [A]).catch((e: unknown) => e);
      client.destroy();
      await broker.close();
      // Assess
      expect(error).toBeInstanceOf(TokenBrokerInvokeError);
      expect(error).toMatchObject({ code, retryable: true, retryAfterSeconds: wait });
      expect((error as Error).message).toMatch(
        new RegExp(`^${code}: .* \\[retryAfterSeconds=${wait}\\]$`),
      );
      expect((error as Error).message).not.toMatch(/retry-after/i);
    },
  );

  it('fails when Lambda throttles the call, with INVOKE_FAILED, retryable and Lambda’s wait', async () => {
    // Prepare
    const throttling = createServer((req, res) => {
      req.resume();
      res.writeHead(429, {
        'content-type': 'application/json',
        'x-amzn-errortype': 'TooManyRequestsException',
        'retry-after': '7',
      });
      res.end(
        JSON.stringify({
          Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
          Type: 'User',
          message: 'Rate Exceeded.',
        }),
      );
    });
    await new Promise<void>((resolve) => throttling.listen(0, '127.0.0.1', resolve));
    const client = sdk(`http://127.0.0.1:${(throttling.address() as AddressInfo).port}`);
    // Act
    const error = await invokeTokenBroker(client, 'broker', [A]).catch((e: unknown) => e);
    client.destroy();
    await new Promise((resolve) => throttling.close(resolve));
    // Assess
    expect(error).toMatchObject({
      code: 'INVOKE_FAILED',
      retryable: true,
      retryAfterSeconds: 7,
      cause: expect.objectContaining({ name: 'TooManyRequestsException' }),
    });
  });

  it('fails when the function does not exist, with INVOKE_FAILED, not retryable', async () => {
    // Prepare
    const nowhere = sdk(`${endpoint.url}/nowhere`);
    // Act
    const error = await invokeTokenBroker(nowhere, 'broker', [A]).catch((e: unknown) => e);
    nowhere.destroy();
    // Assess
    expect(error).toMatchObject({ code: 'INVOKE_FAILED', retryable: false });
  });

  it('calls retryable exactly the codes whose status says "later" (429, 503, 504, and 502 but a refused login)', () => {
    // Prepare
    const later = ERROR_CODES.filter((code) => {
      const { status } = ERROR_CATALOGUE[code];
      return [429, 503, 504].includes(status) || (status === 502 && code !== 'UPSTREAM_REJECTED');
    });
    // Assess
    expect([...RETRY_LATER_CODES].sort()).toEqual([...later].sort());
  });
});

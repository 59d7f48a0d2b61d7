/**
 * The Lambda client's `listDevices` with the real SDK against a loopback
 * Invoke endpoint: the `{grantsFor: {sub, groups}}` event it sends, the
 * DeviceGrantsResult it returns, and the broker's errors mapped back.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeviceGrantsResult,
  LambdaTokenClient,
  TokenBrokerInvokeError,
} from '../../clients/lambda-client.ts';
import { GrantsUnavailableError } from '../../functions/token-broker/errors.ts';
import { type LambdaEndpoint, startLambdaEndpoint } from '../support/lambda-endpoint.ts';

const GRANTS: DeviceGrantsResult = {
  all: false,
  products: ['pkOps'],
  devices: [{ productKey: 'pkA', deviceName: 'cam-1' }],
};

/** What each function name answers. */
const FUNCTIONS: Record<string, () => unknown> = {
  broker: () => GRANTS,
  down: () => {
    throw new GrantsUnavailableError('grants table unreachable', 5);
  },
  tokens: () => ({ tokens: [], failures: [] }),
};

let endpoint: LambdaEndpoint;
let lambda: LambdaClient;

beforeAll(async () => {
  endpoint = await startLambdaEndpoint((name) => {
    const answer = FUNCTIONS[name];
    if (answer === undefined) throw new Error(`no function ${name}`);
    return answer();
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

const broker = (functionName: string) =>
  new LambdaTokenClient({ functionName, client: lambda, qualifier: 'live' });

/** The error `work` rejects with. */
const failure = (work: Promise<unknown>) =>
  work.then(
    () => expect.unreachable('resolved'),
    (e: unknown) => e as TokenBrokerInvokeError,
  );

describe('LambdaTokenClient.listDevices', () => {
  it('invokes with grantsFor {sub, groups} and returns the grants', async () => {
    // Act
    const result = await broker('broker').listDevices({ sub: 'alice', groups: ['ops', 'night'] });
    // Assess
    expect(result).toEqual(GRANTS);
    expect(endpoint.events.at(-1)).toEqual({
      grantsFor: { sub: 'alice', groups: ['ops', 'night'] },
    });
  });

  it('sends only sub when no groups are given, and nothing else of the argument', async () => {
    // Prepare
    const principal = { sub: 'bob', password: 'never sent' };
    // Act
    await broker('broker').listDevices(principal);
    // Assess
    expect(endpoint.events.at(-1)).toEqual({ grantsFor: { sub: 'bob' } });
  });

  it('fails when the directory is down, with GRANTS_UNAVAILABLE, retryable', async () => {
    // Act
    const error = await failure(broker('down').listDevices({ sub: 'alice' }));
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerInvokeError);
    expect(error).toMatchObject({
      code: 'GRANTS_UNAVAILABLE',
      errorType: 'GrantsUnavailableError',
      retryable: true,
    });
  });

  it('fails when the function answers something else, with UNEXPECTED_RESPONSE', async () => {
    // Act
    const error = await failure(broker('tokens').listDevices({ sub: 'alice' }));
    // Assess
    expect(error).toMatchObject({ code: 'UNEXPECTED_RESPONSE' });
    expect(error.message).toContain('{all, products, devices}');
  });

  it('fails when the function raises an error that is not the broker’s, with FUNCTION_ERROR', async () => {
    // Prepare
    const client = new LambdaTokenClient({ functionName: 'missing', client: lambda });
    // Act
    const error = await failure(client.listDevices({ sub: 'alice' }));
    // Assess
    expect(error).toMatchObject({ code: 'FUNCTION_ERROR' });
  });
});

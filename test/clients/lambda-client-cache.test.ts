/**
 * The Lambda client's optional cache: held tokens until shortly before
 * expiry, and one invocation shared by concurrent calls, with the real SDK
 * against a loopback Invoke endpoint that runs the real handler.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LambdaTokenClient,
  type LambdaTokenClientOptions,
  TokenBrokerInvokeError,
} from '../../clients/lambda-client.ts';
import { ForbiddenDeviceError } from '../../functions/token-broker/errors.ts';
import { handlerHarness } from '../support/handler-harness.ts';
import { type LambdaEndpoint, startLambdaEndpoint } from '../support/lambda-endpoint.ts';

const A = { productKey: 'pkA', deviceName: 'cam-1' };
const B = { productKey: 'pkB', deviceName: 'cam-2' };
const X = { productKey: 'pkX', deviceName: 'cam-9' };

let endpoint: LambdaEndpoint;
let lambda: LambdaClient;
let gate: Promise<void> = Promise.resolve();

beforeAll(async () => {
  const { handler } = handlerHarness();
  endpoint = await startLambdaEndpoint(async (name, event, context) => {
    const devices = (event as { devices?: { productKey: string }[] }).devices ?? [];
    if (name === 'picky' && devices.some((d) => d.productKey === X.productKey)) {
      throw new ForbiddenDeviceError([X]);
    }
    if (name === 'gated') await gate;
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

/** A client of `functionName`, and the payloads invoked since it was made. */
function clientOf(functionName: string, options: Partial<LambdaTokenClientOptions> = {}) {
  const start = endpoint.events.length;
  const client = new LambdaTokenClient({ functionName, client: lambda, cache: true, ...options });
  const invoked = () =>
    endpoint.events
      .slice(start)
      .map((e) =>
        (e as { devices: { productKey: string; deviceName: string }[] }).devices.map(
          (d) => `${d.productKey}/${d.deviceName}`,
        ),
      );
  return { client, invoked };
}

describe('LambdaTokenClient cache', () => {
  it('serves a held token without invoking again while it is valid long enough', async () => {
    // Prepare
    let clock = Date.now();
    const { client, invoked } = clientOf('ok', { now: () => clock });
    const first = await client.getTokens([A]);
    // Act
    clock += 60_000;
    const second = await client.getTokens([A]);
    // Assess
    expect(invoked()).toEqual([['pkA/cam-1']]);
    expect(second.tokens[0]?.visualToken).toBe(first.tokens[0]?.visualToken);
    expect(second.tokens[0]?.expiresIn).toBe((first.tokens[0]?.expiresIn ?? 0) - 60);
  });

  it('invokes on every call without the cache option, as before', async () => {
    // Prepare
    const { client, invoked } = clientOf('ok', { cache: undefined });
    // Act
    await client.getTokens([A]);
    await client.getTokens([A]);
    // Assess
    expect(invoked()).toEqual([['pkA/cam-1'], ['pkA/cam-1']]);
  });

  it('invokes again once a held token is within minValiditySeconds of expiry', async () => {
    // Prepare
    let clock = Date.now();
    const { client, invoked } = clientOf('ok', {
      now: () => clock,
      cache: { minValiditySeconds: 600 },
    });
    const first = await client.getTokens([A]);
    // Act
    clock += ((first.tokens[0]?.expiresIn ?? 0) - 599) * 1000;
    await client.getTokens([A]);
    // Assess
    expect(invoked()).toEqual([['pkA/cam-1'], ['pkA/cam-1']]);
  });

  it('asks only for the devices it does not hold', async () => {
    // Prepare
    const { client, invoked } = clientOf('ok');
    await client.getTokens([A]);
    // Act
    const result = await client.getTokens([B, A]);
    // Assess
    expect(invoked()).toEqual([['pkA/cam-1'], ['pkB/cam-2']]);
    expect(result.tokens.map((t) => t.deviceName)).toEqual(['cam-2', 'cam-1']);
  });

  it('forgets the least recently used token beyond maxEntries', async () => {
    // Prepare
    const { client, invoked } = clientOf('ok', { cache: { maxEntries: 1 } });
    // Act
    await client.getTokens([A]);
    await client.getTokens([B]);
    await client.getTokens([A]);
    // Assess
    expect(invoked()).toHaveLength(3);
  });

  it('invokes past the cache on refresh, and holds the new token', async () => {
    // Prepare
    const { client, invoked } = clientOf('ok');
    await client.getTokens([A]);
    // Act
    const refreshed = await client.getTokens([A], { refresh: true });
    const after = await client.getTokens([A]);
    // Assess
    expect(invoked()).toEqual([['pkA/cam-1'], ['pkA/cam-1']]);
    expect(endpoint.events.at(-1)).toEqual({ devices: [A], refresh: true });
    expect(after.tokens[0]?.visualToken).toBe(refreshed.tokens[0]?.visualToken);
  });

  it('fails when the devices are empty, with the broker’s own INVALID_REQUEST', async () => {
    // Prepare
    const { client } = clientOf('ok');
    // Act
    const error = await client.getTokens([]).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerInvokeError);
    expect(error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('devices'),
    });
  });
});

describe('LambdaTokenClient coalescing', () => {
  it('shares one invocation among concurrent calls for the same device', async () => {
    // Prepare
    const { client, invoked } = clientOf('ok');
    // Act
    const [one, two] = await Promise.all([client.getTokens([A]), client.getTokens([A, B])]);
    // Assess
    expect(invoked()).toEqual([['pkA/cam-1'], ['pkB/cam-2']]);
    expect(one.tokens[0]?.visualToken).toBe(two.tokens[0]?.visualToken);
    expect(two.tokens.map((t) => t.deviceName)).toEqual(['cam-1', 'cam-2']);
  });

  it('fails only the call with a forbidden device, not a call sharing its invocation', async () => {
    // Prepare
    const { client, invoked } = clientOf('picky');
    // Act
    const [refused, served] = await Promise.all([
      client.getTokens([A, X]).catch((e: unknown) => e),
      client.getTokens([A]),
    ]);
    // Assess
    expect(refused).toMatchObject({ code: 'FORBIDDEN_DEVICE' });
    expect(served.tokens.map((t) => t.deviceName)).toEqual(['cam-1']);
    expect(invoked()).toEqual([['pkA/cam-1', 'pkX/cam-9'], ['pkA/cam-1']]);
  });

  it('keeps a call going when the call whose invocation it shares aborts', async () => {
    // Prepare
    let open: () => void = () => {};
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const { client, invoked } = clientOf('gated');
    const controller = new AbortController();
    const leaving = client.getTokens([A], { signal: controller.signal }).catch((e: unknown) => e);
    const staying = client.getTokens([A]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Act
    controller.abort();
    const left = await leaving;
    await new Promise((resolve) => setTimeout(resolve, 50));
    open();
    const stayed = await staying;
    // Assess
    expect(left).toMatchObject({ name: 'AbortError' });
    expect(stayed.tokens.map((t) => t.deviceName)).toEqual(['cam-1']);
    expect(invoked()).toEqual([['pkA/cam-1'], ['pkA/cam-1']]);
  });

  it('fails when its own signal aborts while it waits on another call’s invocation', async () => {
    // Prepare
    let open: () => void = () => {};
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const { client } = clientOf('gated');
    const controller = new AbortController();
    const first = client.getTokens([A]);
    const joined = client.getTokens([A], { signal: controller.signal }).catch((e: unknown) => e);
    // Act
    controller.abort();
    const error = await joined;
    open();
    await first;
    // Assess
    expect(error).toMatchObject({ name: 'AbortError' });
  });
});

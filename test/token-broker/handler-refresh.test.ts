/**
 * The `refresh` flag and the split handler's middlewares: the flag reaches
 * the broker from both event kinds, only after the grants are checked, and
 * the CORS factory works on its own, in middy's style.
 */
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import type { Broker, GetTokensOptions } from '../../functions/token-broker/broker.ts';
import type { DeviceKey } from '../../functions/token-broker/contract.ts';
import { corsMiddleware } from '../../functions/token-broker/cors-middleware.ts';
import { createHandler, type HttpResponse } from '../../functions/token-broker/handler.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';
import { captureLogger } from '../support/fakes.ts';

const A = { productKey: 'pkA', deviceName: 'cam-1' };

/** A broker that records what it was asked, once the caller is authorised, as the port requires. */
function recordingBroker() {
  const calls: Array<{ devices: readonly DeviceKey[]; options: GetTokensOptions | undefined }> = [];
  const broker: Broker = {
    async getTokens(devices, options) {
      await options?.authorized;
      calls.push({ devices, options });
      return { tokens: [], failures: [] };
    },
  };
  return { broker, calls };
}

describe('handler: refresh', () => {
  it.each([
    ['an HTTP API request', (body: object) => httpApiEvent({ body })],
    ['a direct invocation', (body: object) => body],
  ])('passes refresh: true from %s to the broker', async (_kind, eventOf) => {
    // Prepare
    const { broker, calls } = recordingBroker();
    const logger = captureLogger();
    const handler = createHandler({ broker, logger, maxDevicesPerRequest: 10 });
    // Act
    await handler(eventOf({ devices: [A], refresh: true }), lambdaContext());
    // Assess
    expect(calls).toHaveLength(1);
    expect(calls[0]?.devices).toEqual([A]);
    expect(calls[0]?.options?.refresh).toBe(true);
    expect(JSON.parse(logger.lines.at(-1) ?? '{}')).toMatchObject({ refresh: true, outcome: 'OK' });
  });

  it('passes refresh: false when the request does not ask for it', async () => {
    // Prepare
    const { broker, calls } = recordingBroker();
    const handler = createHandler({ broker, logger: captureLogger(), maxDevicesPerRequest: 10 });
    // Act
    await handler(httpApiEvent({ body: { devices: [A] } }), lambdaContext());
    // Assess
    expect(calls[0]?.options?.refresh).toBe(false);
  });

  it('fails when refresh is "yes", with a 400 naming the field and no broker call', async () => {
    // Prepare
    const { broker, calls } = recordingBroker();
    const handler = createHandler({ broker, logger: captureLogger(), maxDevicesPerRequest: 10 });
    // Act
    const response = (await handler(
      httpApiEvent({ body: { devices: [A], refresh: 'yes' } }),
      lambdaContext(),
    )) as HttpResponse;
    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'INVALID_REQUEST', field: 'refresh' });
    expect(calls).toEqual([]);
  });

  it('fails when a refresh names an ungranted device, before the broker serves anything', async () => {
    // Prepare
    const { broker, calls } = recordingBroker();
    const handler = createHandler({ broker, logger: captureLogger(), maxDevicesPerRequest: 10 });
    const event = httpApiEvent({
      body: { devices: [A], refresh: true },
      claims: { sub: 'bob', devices: 'pkB/*' },
    });
    // Act
    const response = (await handler(event, lambdaContext())) as HttpResponse;
    // Assess
    expect(response.statusCode).toBe(403);
    expect(calls).toEqual([]);
  });
});

describe('handler: per-request state', () => {
  it('keeps concurrent requests apart even when they share one context object', async () => {
    // Prepare
    const { broker, calls } = recordingBroker();
    const handler = createHandler({ broker, logger: captureLogger(), maxDevicesPerRequest: 10 });
    const context = lambdaContext();
    const B = { productKey: 'pkB', deviceName: 'cam-2' };
    // Act
    await Promise.all([
      handler(httpApiEvent({ body: { devices: [A] } }), context),
      handler({ devices: [B], refresh: true }, context),
    ]);
    // Assess
    expect(calls.map((c) => [c.devices, c.options?.refresh])).toEqual([
      [[A], false],
      [[B], true],
    ]);
  });
});

describe('corsMiddleware', () => {
  const answer = (): HttpResponse => ({ statusCode: 200, headers: {}, body: '' });

  it('adds the allowed origin to an HTTP response, on its own in a middy chain', async () => {
    // Prepare
    const handler = middy()
      .use(corsMiddleware(['https://app.example.com']))
      .handler(answer);
    const event = httpApiEvent({ headers: { origin: 'https://app.example.com' } });
    // Act
    const response = (await handler(event, lambdaContext())) as HttpResponse;
    // Assess
    expect(response.headers).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      vary: 'Origin',
    });
  });

  it('leaves the event as it came and a direct invocation untouched', async () => {
    // Prepare
    const seen: unknown[] = [];
    const handler = middy()
      .use(corsMiddleware(['https://app.example.com']))
      .handler((event: unknown) => {
        seen.push(event);
        return answer();
      });
    const event = { devices: [A] };
    // Act
    const response = (await handler(event, lambdaContext())) as HttpResponse;
    // Assess
    expect(seen).toEqual([event]);
    expect(response.headers).toEqual({});
  });
});

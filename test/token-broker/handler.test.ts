import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
} from '../../functions/token-broker/errors.ts';
import { type HttpResponse, toProblem } from '../../functions/token-broker/problem.ts';
import { httpApiEvent, lambdaContext, restApiEvent } from '../support/events.ts';
import { fakeLoginClient } from '../support/fakes.ts';
import { handlerHarness } from '../support/handler-harness.ts';

const devices = [{ productKey: 'pk1', deviceName: 'dev1' }];

describe('handler: HTTP API payload 2.0', () => {
  it('answers 200 with tokens and failures, no-store', async () => {
    // Prepare
    const { handler } = handlerHarness({ upstream: fakeLoginClient({ missing: ['pk1/dev2'] }) });
    const event = httpApiEvent({
      body: { devices: [...devices, { productKey: 'pk1', deviceName: 'dev2' }] },
    });
    // Act
    const response = (await handler(event, lambdaContext())) as HttpResponse;
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'cache-control': 'no-store',
      'content-type': 'application/json',
    });
    const body = JSON.parse(response.body);
    expect(body.tokens).toEqual([
      expect.objectContaining({
        productKey: 'pk1',
        deviceName: 'dev1',
        visualToken: expect.any(String),
        expiresIn: expect.any(Number),
      }),
    ]);
    expect(body.failures).toEqual([
      expect.objectContaining({ deviceName: 'dev2', code: 'UPSTREAM_NO_TOKEN' }),
    ]);
  });

  it.each([
    ['the body is malformed JSON', { body: '{"devices":' }, 400, 'INVALID_REQUEST'],
    [
      'a device name is invalid',
      { body: { devices: [{ productKey: 'p', deviceName: 'a b' }] } },
      400,
      'INVALID_REQUEST',
    ],
    [
      'the content type is not JSON',
      { body: '{}', headers: { 'content-type': 'text/plain' } },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'the body is over 16 KiB',
      { body: `{"devices":"${'x'.repeat(17_000)}"}` },
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    ['the method is not POST', { method: 'GET' }, 405, 'METHOD_NOT_ALLOWED'],
  ])(
    'fails when %s, with problem+json and no upstream call',
    async (_case, options, status, code) => {
      // Prepare
      const { handler, upstream } = handlerHarness();
      // Act
      const response = (await handler(httpApiEvent(options), lambdaContext())) as HttpResponse;
      // Assess
      expect(response.statusCode).toBe(status);
      expect(response.headers).toMatchObject({
        'content-type': 'application/problem+json',
        'cache-control': 'no-store',
      });
      expect(JSON.parse(response.body)).toMatchObject({
        status,
        code,
        requestId: 'req-http-1',
        type: expect.any(String),
        title: expect.any(String),
        detail: expect.any(String),
      });
      expect((upstream as ReturnType<typeof fakeLoginClient>).calls).toEqual([]);
    },
  );

  it('fails when the method is not POST, with an Allow header', async () => {
    // Prepare
    const { handler } = handlerHarness();
    // Act
    const response = (await handler(
      httpApiEvent({ method: 'PUT' }),
      lambdaContext(),
    )) as HttpResponse;
    // Assess
    expect(response.statusCode).toBe(405);
    expect(response.headers).toMatchObject({ allow: 'POST' });
  });

  it('fails when the body is malformed, and keeps the body out of the log', async () => {
    // Prepare
    const { handler, logger } = handlerHarness();
    const body = '{"devices": Bearer eyJsecret-looking-text';
    // Act
    const response = (await handler(httpApiEvent({ body }), lambdaContext())) as HttpResponse;
    // Assess
    expect(response.statusCode).toBe(400);
    expect(logger.lines.join('\n')).not.toContain('eyJsecret');
  });

  it('names the field at fault', async () => {
    // Prepare
    const { handler } = handlerHarness();
    const bad = {
      devices: [...devices, ...devices, ...devices, { productKey: 'pk', deviceName: '' }],
    };
    // Act
    const response = (await handler(httpApiEvent({ body: bad }), lambdaContext())) as HttpResponse;
    // Assess
    expect(JSON.parse(response.body)).toMatchObject({ field: 'devices[3].deviceName' });
  });

  it('maps upstream failures to 5xx with a generic detail, and logs the specifics', async () => {
    // Prepare
    const upstream = fakeLoginClient({
      fail: () => new UpstreamRejectedError('Upstream refused the login: bad password'),
    });
    const { handler, logger } = handlerHarness({ upstream });
    // Act
    const response = (await handler(
      httpApiEvent({ body: { devices } }),
      lambdaContext(),
    )) as HttpResponse;
    // Assess
    const body = JSON.parse(response.body);
    expect(response.statusCode).toBe(502);
    expect(body).toMatchObject({ code: 'UPSTREAM_REJECTED' });
    expect(body.detail).not.toContain('bad password');
    expect(logger.lines.join('\n')).toContain('bad password');
  });
});

describe('handler: REST API payload 1.0', () => {
  it('maps a REST event onto the same core', async () => {
    // Prepare
    const { handler } = handlerHarness();
    // Act
    const ok = (await handler(
      restApiEvent({ body: { devices } }),
      lambdaContext(),
    )) as HttpResponse;
    const bad = (await handler(restApiEvent({ body: '{' }), lambdaContext())) as HttpResponse;
    // Assess
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body).tokens).toHaveLength(1);
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({
      code: 'INVALID_REQUEST',
      requestId: 'req-rest-1',
    });
  });
});

describe('handler: direct invocation', () => {
  it('returns the result object itself', async () => {
    // Prepare
    const { handler } = handlerHarness();
    // Act
    const result = await handler({ devices }, lambdaContext());
    // Assess
    expect(result).toEqual({
      tokens: [expect.objectContaining({ deviceName: 'dev1' })],
      failures: [],
    });
  });

  it.each([
    ['the event is invalid', { devices: [] }, undefined, 'InvalidRequestError', 'INVALID_REQUEST'],
    [
      'the upstream times out',
      { devices },
      () => new UpstreamTimeoutError('slow'),
      'UpstreamTimeoutError',
      'UPSTREAM_TIMEOUT',
    ],
    [
      'the secret is malformed',
      { devices },
      () => new ConfigurationError('Secret x is missing key "password"'),
      'ConfigurationError',
      'CONFIGURATION_ERROR',
    ],
  ])(
    'fails when %s, with an error named after its class and no stack',
    async (_case, event, fail, name, code) => {
      // Prepare
      const { handler } = handlerHarness({ upstream: fakeLoginClient(fail ? { fail } : {}) });
      // Act
      const error = await Promise.resolve(handler(event, lambdaContext())).catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({
        name,
        message: expect.stringMatching(new RegExp(`^${code}: `)),
      });
      expect((error as Error).stack).toBe(`${name}: ${(error as Error).message}`);
      expect((error as Error).message).not.toContain('password"');
      // middy attaches the internal error to any error an onError hook throws.
      expect((error as Error).cause).toBeUndefined();
      expect(error).not.toHaveProperty('originalError');
    },
  );

  it('logs one line per request with counters and the outcome', async () => {
    // Prepare
    const { handler, logger } = handlerHarness();
    // Act
    await handler({ devices }, lambdaContext(10_000, 'aws-1'));
    await handler({ devices }, lambdaContext(10_000, 'aws-2'));
    // Assess: the request lines (each request also writes its audit line, audit.test.ts)
    const lines = logger.lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.message === 'token request');
    expect(lines).toEqual([
      expect.objectContaining({
        requestId: 'aws-1',
        kind: 'direct-invoke',
        deviceCount: 1,
        cacheHits: 0,
        cacheMisses: 1,
        upstreamCalls: 1,
        outcome: 'OK',
        upstreamMs: expect.any(Number),
      }),
      expect.objectContaining({
        requestId: 'aws-2',
        cacheHits: 1,
        cacheMisses: 0,
        upstreamCalls: 0,
        outcome: 'OK',
      }),
    ]);
  });
});

describe('toProblem', () => {
  it('maps an unknown error to a generic 500 without its message', () => {
    // Act
    const problem = toProblem(new TypeError('secret internals'), 'r1');
    // Assess
    expect(problem).toEqual({
      type: 'urn:visual-token-broker:problem:internal-error',
      title: 'Internal error',
      status: 500,
      detail: expect.not.stringContaining('secret internals'),
      code: 'INTERNAL_ERROR',
      requestId: 'r1',
    });
  });
});

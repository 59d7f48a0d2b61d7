import { describe, expect, it } from 'vitest';
import {
  CORS_ALLOWED_HEADERS,
  corsPreflightHeaders,
  corsResponseHeaders,
} from '../../functions/token-broker/cors.ts';
import { UpstreamError } from '../../functions/token-broker/errors.ts';
import { createHandler, type HttpResponse } from '../../functions/token-broker/handler.ts';
import { createTokenCache } from '../../functions/token-broker/token-cache.ts';
import { brokerFor } from '../support/broker.ts';
import { httpApiEvent, lambdaContext, restApiEvent } from '../support/events.ts';
import { captureLogger, fakeCredentials, fakeLoginClient } from '../support/fakes.ts';

const ALLOWED = 'https://www.example.com';

const setup = (upstream = fakeLoginClient()) =>
  createHandler({
    broker: brokerFor({
      credentials: fakeCredentials(),
      upstream,
      cache: createTokenCache(10),
      now: Date.now,
      minTokenValiditySeconds: 0,
      upstreamBatchSize: 20,
    }),
    logger: captureLogger(),
    maxDevicesPerRequest: 50,
    corsAllowedOrigins: [ALLOWED, 'http://127.0.0.1:3001'],
  });

const body = { devices: [{ productKey: 'pkA', deviceName: 'dev1' }] };

describe('handler CORS', () => {
  it.each([
    ['a success', { body, claims: { devices: '*' } }, 200],
    ['a 403', { body, claims: { devices: 'pkB/*' } }, 403],
    ['a 400', { body: { devices: [] }, claims: { devices: '*' } }, 400],
    ['a 405', { method: 'GET', claims: { devices: '*' } }, 405],
  ])(
    'adds Access-Control-Allow-Origin and Vary to %s for an allowed origin',
    async (_n, options, status) => {
      // Prepare
      const handler = setup();
      const event = httpApiEvent({ ...options, headers: { origin: ALLOWED } });
      // Act
      const response = (await handler(event, lambdaContext())) as HttpResponse;
      // Assess
      expect(response.statusCode).toBe(status);
      expect(response.headers).toMatchObject({
        'access-control-allow-origin': ALLOWED,
        vary: 'Origin',
      });
    },
  );

  it.each([
    [
      'an upstream failure (502)',
      () => fakeLoginClient({ fail: () => new UpstreamError('boom') }),
      10_000,
      502,
    ],
    ['the early timeout (504)', () => fakeLoginClient({ gate: new Promise(() => {}) }), 200, 504],
  ])('adds the CORS headers to %s', async (_n, upstream, remainingMs, status) => {
    // Prepare
    const handler = setup(upstream());
    const event = httpApiEvent({ body, claims: { devices: '*' }, headers: { origin: ALLOWED } });
    // Act
    const response = (await handler(event, lambdaContext(remainingMs))) as HttpResponse;
    // Assess
    expect(response.statusCode).toBe(status);
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': ALLOWED,
      vary: 'Origin',
    });
  });

  it.each([
    ['a look-alike host', 'https://wwwxexample.com'],
    ['another scheme', 'http://www.example.com'],
    ['another port', 'https://www.example.com:8443'],
    ['a suffix', 'https://www.example.com.evil.test'],
    ['a trailing slash', 'https://www.example.com/'],
    ['the literal null origin', 'null'],
  ])('fails to allow %s, but still sends Vary: Origin', async (_n, origin) => {
    // Prepare
    const handler = setup();
    const event = httpApiEvent({ body, claims: { devices: '*' }, headers: { origin } });
    // Act
    const response = (await handler(event, lambdaContext())) as HttpResponse;
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers.vary).toBe('Origin');
  });

  it('reads the Origin header case-insensitively on the REST API path', async () => {
    // Prepare
    const handler = setup();
    const event = restApiEvent({ body, claims: { devices: '*' }, headers: { Origin: ALLOWED } });
    // Act
    const response = (await handler(event, lambdaContext())) as HttpResponse;
    // Assess
    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it('adds no headers to a direct invoke result', async () => {
    // Prepare
    const handler = setup();
    // Act
    const result = (await handler(body, lambdaContext())) as Record<string, unknown>;
    // Assess
    expect(Object.keys(result).sort()).toEqual(['failures', 'tokens']);
  });
});

describe('preflight headers', () => {
  it('allow GET and POST with Authorization and Content-Type, with a max age, for an allowed origin', () => {
    // Act
    const headers = corsPreflightHeaders(ALLOWED, [ALLOWED]);
    // Assess
    expect(headers).toEqual({
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(', '),
      'access-control-max-age': '600',
      vary: 'Origin',
    });
  });

  it('fails to allow an origin not on the list, and an absent origin', () => {
    // Act
    const lookAlike = corsPreflightHeaders('https://wwwxexample.com', [ALLOWED]);
    const absent = corsResponseHeaders(undefined, [ALLOWED]);
    // Assess
    expect(lookAlike).toEqual({ vary: 'Origin' });
    expect(absent).toEqual({ vary: 'Origin' });
  });
});

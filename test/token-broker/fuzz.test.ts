/**
 * Property-based fuzzing of the handler, over the HTTP (payload 2.0) and
 * direct-invoke paths, with fast-check.
 *
 * "Every error names a field" is read as: a 400 `INVALID_REQUEST` carries
 * `field`, the JSON path at fault, and its detail starts with it; a 403
 * `FORBIDDEN_DEVICE` carries `devices`, the devices refused; 401, 405, 413
 * and 415 are about the request as a whole (identity, method, size, media
 * type) and name no field. Every one is valid problem+json per the OpenAPI
 * document.
 */
import { fc, it } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import type { HttpResponse } from '../../functions/token-broker/handler.ts';
import { responseNameOf } from '../../functions/token-broker/openapi.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';
import { fakeLoginClient } from '../support/fakes.ts';
import { handlerHarness } from '../support/handler-harness.ts';
import { errorsOf, problemValidator, validateTokenResult } from '../support/openapi.ts';

/** Runs per property; they add up to the figure in docs/operations.md#reliability. */
const RUNS = { bodies: 4000, headers: 1500, events: 2500, direct: 2000 } as const;

const upstream = fakeLoginClient();
const { handler } = handlerHarness({ upstream, maxDevicesPerRequest: 50 });
const context = lambdaContext(60_000);
const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();
let runs = 0;

const validators = new Map<number, ReturnType<typeof problemValidator>>();
const validatorFor = (status: number) => {
  let v = validators.get(status);
  if (v === undefined) {
    v = problemValidator(responseNameOf(status));
    validators.set(status, v);
  }
  return v;
};

/** The properties every HTTP answer must have. */
async function checkHttp(event: unknown) {
  runs += 1;
  const callsBefore = upstream.calls.length;
  // Act: awaiting is the "never throws" property, as a rejection fails the run.
  const response = (await handler(event, context)) as HttpResponse;
  // Assess
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(response.statusCode).toBeLessThan(500);
  expect(response.headers['cache-control']).toBe('no-store');
  const body = JSON.parse(response.body);
  if (response.statusCode === 200) {
    expect(validateTokenResult(body), errorsOf(validateTokenResult)).toBe(true);
    return;
  }
  expect(upstream.calls.length).toBe(callsBefore);
  expect(response.headers['content-type']).toBe('application/problem+json');
  const validate = validatorFor(response.statusCode);
  expect(validate(body), errorsOf(validate)).toBe(true);
  if (response.statusCode === 400) {
    expect(typeof body.field === 'string' && body.field.length > 0).toBe(true);
    expect(body.detail.startsWith(`${body.field}:`)).toBe(true);
  }
  if (response.statusCode === 403) expect(body.devices.length).toBeGreaterThan(0);
}

const productKey = fc.stringMatching(/^[A-Za-z0-9]{1,8}$/);
const deviceName = fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,12}$/);
const validDevice = fc.record({ productKey, deviceName });
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'devices');
const hostileObject = fc.dictionary(
  fc.oneof(hostileKey, fc.string({ maxLength: 8 })),
  fc.jsonValue(),
  {
    maxKeys: 4,
  },
);

/** Devices lists that are wrong in one of many ways, or right. */
const deviceEntry = fc.oneof(
  validDevice,
  fc.record({
    productKey: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)),
    deviceName,
  }),
  fc.record({ productKey, deviceName: fc.oneof(fc.integer(), fc.string(), fc.array(fc.string())) }),
  fc.record({ productKey, deviceName, extra: fc.jsonValue() }),
  hostileObject,
  fc.jsonValue(),
);

/** Request bodies as text: JSON of every shape, and text that is not JSON at all. */
const bodyText = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(validDevice, { minLength: 1, maxLength: 5 })
      .map((devices) => JSON.stringify({ devices })),
  },
  {
    weight: 3,
    arbitrary: fc
      .array(deviceEntry, { maxLength: 8 })
      .map((devices) => JSON.stringify({ devices })),
  },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.nat({ max: 6000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`) },
  {
    weight: 1,
    arbitrary: fc
      .nat({ max: 3000 })
      .map((n) => `{"devices":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 51, max: 900 }).map((n) =>
      JSON.stringify({
        devices: Array.from({ length: n }, (_, i) => ({ productKey: 'pk', deviceName: `d${i}` })),
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ minLength: 1000, maxLength: 20_000 })
      .map((s) => JSON.stringify({ devices: [{ productKey: s, deviceName: 'd' }] })),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '{"__proto__":{"polluted":1},"devices":[{"productKey":"pk","deviceName":"d"}]}',
      '{"devices":[{"__proto__":{"polluted":1},"productKey":"pk","deviceName":"d"}]}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"devices":{"__proto__":[]}}',
      '{"devices":[{"productKey":"pk","deviceName":"d","constructor":{"prototype":{"polluted":1}}}]}',
    ),
  },
  { weight: 1, arbitrary: hostileObject.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

/** A body as API Gateway delivers it: text, or base64 of arbitrary bytes (invalid UTF-8 included). */
const deliveredBody = fc.oneof(
  { weight: 4, arbitrary: bodyText.map((body) => ({ body, isBase64Encoded: false })) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 300 })
      .map((bytes) => ({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true })),
  },
  {
    weight: 1,
    arbitrary: bodyText.map((text) => ({
      body: Buffer.from(text, 'utf8').toString('base64'),
      isBase64Encoded: true,
    })),
  },
);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/problem+json',
    'APPLICATION/JSON',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/jsonx',
    '',
  ),
  fc.string({ maxLength: 40 }),
);

describe('fuzzing the HTTP path (payload 2.0)', () => {
  it.prop([deliveredBody, contentType], { numRuns: RUNS.bodies })(
    'answers every body with a 2xx or a 4xx problem, never a 5xx or a throw',
    async ({ body, isBase64Encoded }, type) => {
      const event = httpApiEvent({ headers: { 'content-type': type } });
      await checkHttp({ ...event, body, isBase64Encoded });
    },
  );

  it.prop(
    [
      fc.dictionary(fc.string({ maxLength: 30 }), fc.string({ maxLength: 60 }), { maxKeys: 12 }),
      fc.array(validDevice, { minLength: 1, maxLength: 3 }),
    ],
    { numRuns: RUNS.headers },
  )('answers any headers without a 5xx', async (headers, devices) => {
    const event = httpApiEvent({ body: { devices } });
    await checkHttp({ ...event, headers: { ...headers, ...event.headers, ...headers } });
  });

  const claims = fc.oneof(
    fc.constant(undefined),
    fc.record({
      sub: fc.string(),
      devices: fc.oneof(fc.constant('*'), fc.string(), fc.jsonValue()),
    }),
    fc.dictionary(fc.oneof(hostileKey, fc.string({ maxLength: 10 })), fc.jsonValue(), {
      maxKeys: 4,
    }),
    fc.anything(),
  );
  const authorizer = fc.oneof(
    fc.constant(undefined),
    claims.map((c) => ({ jwt: { claims: c, scopes: [] } })),
    fc.record({ jwt: fc.anything() }),
    fc.anything(),
  );
  const event = fc.record(
    {
      version: fc.constant('2.0'),
      routeKey: fc.string({ maxLength: 20 }),
      rawPath: fc.string({ maxLength: 20 }),
      headers: fc.oneof(
        fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.string(), fc.anything())),
        fc.anything(),
        contentType.map((t) => ({ 'content-type': t })),
      ),
      requestContext: fc.record(
        {
          http: fc.record({
            method: fc.oneof(
              fc.constantFrom('POST', 'post', 'GET', 'PUT', 'OPTIONS', ''),
              fc.string({ maxLength: 8 }),
              fc.anything(),
            ),
          }),
          requestId: fc.oneof(fc.string(), fc.anything()),
          authorizer,
        },
        { requiredKeys: ['http'] },
      ),
      body: fc.oneof(bodyText, fc.anything()),
      isBase64Encoded: fc.oneof(fc.boolean(), fc.anything()),
    },
    { requiredKeys: ['version', 'requestContext'] },
  );

  it.prop([event], { numRuns: RUNS.events })(
    'answers arbitrary payload 2.0 events without a 5xx',
    async (e) => {
      await checkHttp(e);
    },
  );
});

describe('fuzzing the direct-invoke path', () => {
  /** A direct invoker gets a result or a sanitized error named after the broker's class. */
  const BROKER_ERROR_NAMES = /^(InvalidRequestError|ForbiddenDeviceError)$/;

  const directEvent = fc.oneof(
    fc.anything({
      key: fc.oneof(hostileKey, fc.string({ maxLength: 8 })),
      withObjectString: true,
      withNullPrototype: true,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withBoxedValues: true,
    }),
    fc.array(deviceEntry, { maxLength: 8 }).map((devices) => ({ devices })),
    fc.array(validDevice, { minLength: 1, maxLength: 5 }).map((devices) => ({ devices })),
    bodyText.map((text) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    }),
  );

  it.prop([directEvent], { numRuns: RUNS.direct })(
    'returns tokens or throws only a sanitized BrokerError-named error',
    async (event) => {
      runs += 1;
      const callsBefore = upstream.calls.length;
      // Act
      const outcome = await Promise.resolve(handler(event, context)).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      // Assess
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
      if ('value' in outcome) {
        expect(validateTokenResult(outcome.value), errorsOf(validateTokenResult)).toBe(true);
        return;
      }
      const error = outcome.error as Error;
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toMatch(BROKER_ERROR_NAMES);
      expect(error.message).toMatch(/^(INVALID_REQUEST|FORBIDDEN_DEVICE): /);
      expect(error.stack).toBe(`${error.name}: ${error.message}`);
      expect(error.cause).toBeUndefined();
      expect(Object.keys(error)).toEqual(['name']);
      expect(upstream.calls.length).toBe(callsBefore);
    },
  );
});

afterAll(() => {
  // The figure in docs/operations.md#reliability: at least 10,000 fuzzed requests per `npm test`.
  expect(runs).toBeGreaterThanOrEqual(10_000);
});

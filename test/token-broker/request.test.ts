import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../functions/token-broker/handler.ts';
import {
  MAX_BODY_BYTES,
  parseGrantsFor,
  parseJsonBody,
  parseTokenRequest,
} from '../../functions/token-broker/request.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';
import { fakeLoginClient } from '../support/fakes.ts';
import { handlerHarness } from '../support/handler-harness.ts';

const device = { productKey: 'pk1', deviceName: 'dev-1' };

describe('parseTokenRequest', () => {
  it('accepts valid devices and serves duplicates once, in first-seen order', () => {
    // Prepare
    const payload = { devices: [device, { productKey: 'pk2', deviceName: 'a_b.c:d@e-f' }, device] };
    // Act
    const { devices } = parseTokenRequest(payload, 50);
    // Assess
    expect(devices).toEqual([device, { productKey: 'pk2', deviceName: 'a_b.c:d@e-f' }]);
  });

  it.each([
    ['the body is not an object', [], 'body', /must be a JSON object/],
    ['devices is missing', {}, 'devices', /is required/],
    ['devices is not an array', { devices: 'pk/dev' }, 'devices', /must be an array/],
    ['devices is empty', { devices: [] }, 'devices', /must not be empty/],
    ['a device is not an object', { devices: [device, 'x'] }, 'devices[1]', /must be an object/],
    ['a field is unknown', { devices: [device], extra: 1 }, 'extra', /unknown field/],
    [
      'a device field is unknown',
      { devices: [{ ...device, x: 1 }] },
      'devices[0].x',
      /unknown field/,
    ],
    ['a field has an empty name', { devices: [device], '': 1 }, '[""]', /unknown field/],
    [
      'a device field has an odd name',
      { devices: [{ ...device, 'a b': 1 }] },
      'devices[0]["a b"]',
      /unknown field/,
    ],
    [
      'a field has a long name',
      { devices: [device], ['k'.repeat(100)]: 1 },
      `[${JSON.stringify(`${'k'.repeat(64)}…`)}]`,
      /unknown field/,
    ],
    [
      '__proto__ is smuggled in',
      JSON.parse('{"devices":[],"__proto__":{"a":1}}'),
      '__proto__',
      /unknown/,
    ],
    [
      'productKey is missing',
      { devices: [{ deviceName: 'd' }] },
      'devices[0].productKey',
      /is required/,
    ],
    [
      'productKey is a number',
      { devices: [{ productKey: 1, deviceName: 'd' }] },
      'devices[0].productKey',
      /must be a string/,
    ],
    [
      'productKey has a slash',
      { devices: [{ productKey: 'a/b', deviceName: 'd' }] },
      'devices[0].productKey',
      /must match/,
    ],
    [
      'productKey is too long',
      { devices: [{ productKey: 'a'.repeat(65), deviceName: 'd' }] },
      'devices[0].productKey',
      /must match/,
    ],
    [
      'deviceName has a space',
      { devices: [device, device, device, { productKey: 'p', deviceName: 'a b' }] },
      'devices[3].deviceName',
      /must match/,
    ],
    [
      'deviceName has a slash',
      { devices: [{ productKey: 'p', deviceName: 'a/b' }] },
      'devices[0].deviceName',
      /must match/,
    ],
    [
      'deviceName is empty',
      { devices: [{ productKey: 'p', deviceName: '' }] },
      'devices[0].deviceName',
      /must match/,
    ],
    [
      'deviceName is too long',
      { devices: [{ productKey: 'p', deviceName: 'd'.repeat(129) }] },
      'devices[0].deviceName',
      /must match/,
    ],
    ['refresh is "yes"', { devices: [device], refresh: 'yes' }, 'refresh', /must be a boolean/],
    ['refresh is 1', { devices: [device], refresh: 1 }, 'refresh', /must be a boolean/],
    ['refresh is null', { devices: [device], refresh: null }, 'refresh', /must be a boolean/],
  ])('fails when %s', (_case, payload, field, message) => {
    // Act
    const act = () => parseTokenRequest(payload, 50);
    // Assess
    expect(act).toThrow(
      expect.objectContaining({
        code: 'INVALID_REQUEST',
        field,
        message: expect.stringMatching(message),
      }),
    );
  });

  it.each([
    [
      { devices: [device], refresh: true },
      { devices: [device], refresh: true },
    ],
    [
      { devices: [device], refresh: false },
      { devices: [device], refresh: false },
    ],
    [{ devices: [device] }, { devices: [device] }],
  ])('accepts %j with refresh as given, or absent', (payload, expected) => {
    // Act
    const request = parseTokenRequest(payload, 50);
    // Assess
    expect(request).toStrictEqual(expected);
  });

  it.each([
    ['the body is null', null, 'body: must be a JSON object, got null'],
    ['the body is an array', [device], 'body: must be a JSON object, got an array'],
    ['the body is a string', 'devices', 'body: must be a JSON object, got a string'],
    ['devices is a string', { devices: 'pk/dev' }, 'devices: must be an array, got a string'],
    ['a device is null', { devices: [null] }, 'devices[0]: must be an object, got null'],
    [
      'a device is an array',
      { devices: [['pk1', 'd']] },
      'devices[0]: must be an object, got an array',
    ],
    ['a device is a string', { devices: ['pk1/d'] }, 'devices[0]: must be an object, got a string'],
    [
      'productKey is a number',
      { devices: [{ productKey: 1, deviceName: 'd' }] },
      'devices[0].productKey: must be a string, got a number',
    ],
    [
      'a field is unknown',
      { devices: [device], extra: 1 },
      'extra: unknown field; allowed: devices, refresh',
    ],
    [
      'a device field is unknown',
      { devices: [{ ...device, x: 1 }] },
      'devices[0].x: unknown field; allowed: productKey, deviceName',
    ],
    [
      'an odd field name is exactly 64 characters',
      { devices: [device], ['-'.repeat(64)]: 1 },
      `[${JSON.stringify('-'.repeat(64))}]: unknown field; allowed: devices, refresh`,
    ],
  ])('fails when %s, saying exactly what is wrong', (_case, payload, message) => {
    // Act
    const act = () => parseTokenRequest(payload, 50);
    // Assess
    expect(act).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message }));
  });

  it('accepts exactly MAX_DEVICES_PER_REQUEST devices', () => {
    // Prepare
    const devices = Array.from({ length: 3 }, (_, i) => ({ productKey: 'p', deviceName: `d${i}` }));
    // Act
    const request = parseTokenRequest({ devices }, 3);
    // Assess
    expect(request.devices).toEqual(devices);
  });

  it('fails when there are more devices than MAX_DEVICES_PER_REQUEST', () => {
    // Prepare
    const devices = Array.from({ length: 4 }, (_, i) => ({ productKey: 'p', deviceName: `d${i}` }));
    // Act
    const act = () => parseTokenRequest({ devices }, 3);
    // Assess
    expect(act).toThrow(
      expect.objectContaining({
        field: 'devices',
        message: 'devices: must hold at most 3 devices, got 4',
      }),
    );
  });
});

describe('parseGrantsFor', () => {
  it('accepts a sub and its groups', () => {
    // Act
    const request = parseGrantsFor({ grantsFor: { sub: 'alice', groups: ['ops', 'night'] } });
    // Assess
    expect(request).toStrictEqual({ sub: 'alice', groups: ['ops', 'night'] });
  });

  it('accepts a sub without groups as a member of none', () => {
    // Act
    const request = parseGrantsFor({ grantsFor: { sub: 'bob' } });
    // Assess
    expect(request).toStrictEqual({ sub: 'bob', groups: [] });
  });

  it('accepts a sub and a group of exactly 256 characters', () => {
    // Prepare
    const name = `x${'é'.repeat(254)}y`;
    // Act
    const request = parseGrantsFor({ grantsFor: { sub: name, groups: [name] } });
    // Assess
    expect(request).toStrictEqual({ sub: name, groups: [name] });
  });

  it.each([
    ['the event is not an object', null, 'grantsFor: must be an object, got a undefined'],
    ['grantsFor is a string', { grantsFor: 'alice' }, 'grantsFor: must be an object, got a string'],
    [
      'a field is unknown',
      { grantsFor: { sub: 'alice' }, extra: 1 },
      'extra: unknown field; allowed: grantsFor',
    ],
    [
      'a grantsFor field is unknown',
      { grantsFor: { sub: 'alice', x: 1 } },
      'grantsFor.x: unknown field; allowed: sub, groups',
    ],
    ['sub is missing', { grantsFor: { groups: ['ops'] } }, 'grantsFor.sub: is required'],
    ['sub is empty', { grantsFor: { sub: '' } }, 'grantsFor.sub: must match ^\\S{1,256}$'],
    [
      'sub holds a space',
      { grantsFor: { sub: 'al ice' } },
      'grantsFor.sub: must match ^\\S{1,256}$',
    ],
    [
      'sub starts with a space',
      { grantsFor: { sub: ' alice' } },
      'grantsFor.sub: must match ^\\S{1,256}$',
    ],
    [
      'sub ends with a space',
      { grantsFor: { sub: 'alice ' } },
      'grantsFor.sub: must match ^\\S{1,256}$',
    ],
    [
      'sub is 257 characters long',
      { grantsFor: { sub: 'a'.repeat(257) } },
      'grantsFor.sub: must match ^\\S{1,256}$',
    ],
    [
      'groups is a string',
      { grantsFor: { sub: 'alice', groups: 'ops' } },
      'grantsFor.groups: must be an array, got a string',
    ],
    [
      'a group is a number',
      { grantsFor: { sub: 'alice', groups: ['ops', 7] } },
      'grantsFor.groups[1]: must be a group name without spaces',
    ],
    [
      'a group holds a space',
      { grantsFor: { sub: 'alice', groups: ['night shift'] } },
      'grantsFor.groups[0]: must be a group name without spaces',
    ],
    [
      'a group is empty',
      { grantsFor: { sub: 'alice', groups: ['ops', ''] } },
      'grantsFor.groups[1]: must be a group name without spaces',
    ],
    [
      'a group is 257 characters long',
      { grantsFor: { sub: 'alice', groups: ['g'.repeat(257)] } },
      'grantsFor.groups[0]: must be a group name without spaces',
    ],
  ])('fails when %s, saying exactly what is wrong', (_case, payload, message) => {
    // Act
    const act = () => parseGrantsFor(payload);
    // Assess
    expect(act).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message }));
  });
});

describe('parseJsonBody', () => {
  const json = (body: string, contentType: string | undefined = 'application/json') => ({
    contentType,
    body,
    isBase64Encoded: false,
  });

  it('parses JSON with charset and +json media types, and base64 bodies', () => {
    // Act
    const plain = parseJsonBody(json('{"a":1}', 'application/json; charset=utf-8'));
    const vendor = parseJsonBody(json('{"a":2}', 'application/vnd.api+json'));
    const encoded = parseJsonBody({
      contentType: 'application/json',
      body: Buffer.from('{"a":3}').toString('base64'),
      isBase64Encoded: true,
    });
    // Assess
    expect([plain, vendor, encoded]).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  it.each([
    [
      'the content type is missing',
      { contentType: undefined, body: '{}', isBase64Encoded: false },
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['the content type is text', json('{}', 'text/plain'), 'UNSUPPORTED_MEDIA_TYPE'],
    [
      'the content type only looks like JSON',
      json('{}', 'application/jsonp'),
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['the body is malformed', json('{"devices":'), 'INVALID_REQUEST'],
    ['the body is empty', json(''), 'INVALID_REQUEST'],
    ['the body is over 16 KiB', json(`{"a":"${'x'.repeat(MAX_BODY_BYTES)}"}`), 'PAYLOAD_TOO_LARGE'],
    [
      'the body is invalid UTF-8',
      {
        contentType: 'application/json',
        body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'),
        isBase64Encoded: true,
      },
      'INVALID_REQUEST',
    ],
  ])('fails when %s', (_case, raw, code) => {
    // Act
    const act = () => parseJsonBody(raw);
    // Assess
    expect(act).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    [
      'the content type is missing',
      { contentType: undefined, body: '{}', isBase64Encoded: false },
      'Content-Type must be application/json',
    ],
    [
      'the content type only ends like JSON',
      json('{}', 'text/application/json'),
      'Content-Type must be application/json',
    ],
    [
      'there is no body',
      { contentType: 'application/json', body: undefined, isBase64Encoded: false },
      'body: is required',
    ],
    ['the body is empty', json(''), 'body: is required'],
    ['the body is blank', json(' \n\t '), 'body: is required'],
    ['the body is malformed', json('{"devices":'), 'body: is not valid JSON'],
    [
      'the body is over 16 KiB',
      json(`{"a":"${'x'.repeat(MAX_BODY_BYTES)}"}`),
      'The request body must be at most 16384 bytes',
    ],
  ])('fails when %s, saying exactly what is wrong', (_case, raw, message) => {
    // Act
    const act = () => parseJsonBody(raw);
    // Assess
    expect(act).toThrow(expect.objectContaining({ message }));
  });

  it.each([
    ['bytes that are no UTF-8 at all', Buffer.from([0x7b, 0xff, 0x7d])],
    [
      'a JSON string holding a byte that is no UTF-8',
      Buffer.from([...Buffer.from('{"a":"'), 0xff, ...Buffer.from('"}')]),
    ],
  ])(
    'fails when a base64 body decodes to %s, keeping the decoder error as cause',
    (_case, bytes) => {
      // Act
      const act = () =>
        parseJsonBody({
          contentType: 'application/json',
          body: bytes.toString('base64'),
          isBase64Encoded: true,
        });
      // Assess
      expect(act).toThrow(
        expect.objectContaining({
          field: 'body',
          message: 'body: is not valid UTF-8',
          cause: expect.any(Error),
        }),
      );
    },
  );

  it('fails when a base64 body decodes to one byte over 16 KiB, which its length did not show', () => {
    // Prepare: 16,385 bytes encode to 21,848 characters, estimated at 16,384 bytes.
    const bytes = Buffer.from(`{"a":"${'x'.repeat(MAX_BODY_BYTES + 1 - 8)}"}`);
    const raw = {
      contentType: 'application/json',
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    };
    // Act
    const act = () => parseJsonBody(raw);
    // Assess
    expect(bytes.byteLength).toBe(MAX_BODY_BYTES + 1);
    expect(act).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
  });

  it('fails when a base64 body is too long to be under 16 KiB, before decoding it', () => {
    // Prepare: the decoder skips the padding spaces, so only the length check can refuse it.
    const body = `${' '.repeat(4 * MAX_BODY_BYTES)}${Buffer.from('{}').toString('base64')}`;
    // Act
    const act = () =>
      parseJsonBody({ contentType: 'application/json', body, isBase64Encoded: true });
    // Assess
    expect(Buffer.from(body, 'base64').toString()).toBe('{}');
    expect(act).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
  });

  it('accepts a body of exactly 16 KiB', () => {
    // Prepare
    const body = `{"a":"${'x'.repeat(MAX_BODY_BYTES - 8)}"}`;
    // Act
    const parsed = parseJsonBody(json(body));
    // Assess
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    expect(parsed).toHaveProperty('a');
  });
});

describe('size and characters through the handler', () => {
  const euros = '€'.repeat(6000);
  const send = async (options: Parameters<typeof httpApiEvent>[0]) => {
    const upstream = fakeLoginClient();
    const { handler } = handlerHarness({ upstream });
    const response = (await handler(httpApiEvent(options), lambdaContext())) as HttpResponse;
    return { response, problem: JSON.parse(response.body), upstream };
  };

  it.each([
    ['a body of 6,000 € (18,000 bytes in 6,000 characters)', { body: euros }],
    [
      'a JSON body whose device name is 6,000 €',
      { body: { devices: [{ productKey: 'p', deviceName: euros }] } },
    ],
    [
      'a base64 body that decodes to 6,000 €',
      { body: Buffer.from(euros).toString('base64'), isBase64Encoded: true },
    ],
  ])('fails when it receives %s, with 413, counting UTF-8 bytes', async (_case, options) => {
    // Act
    const { response, problem, upstream } = await send(options);
    // Assess
    expect(euros.length).toBeLessThan(MAX_BODY_BYTES);
    expect(Buffer.byteLength(euros)).toBeGreaterThan(MAX_BODY_BYTES);
    expect(response.statusCode).toBe(413);
    expect(problem.code).toBe('PAYLOAD_TOO_LARGE');
    expect(upstream.calls).toEqual([]);
  });

  it('accepts a body of exactly 16 KiB of UTF-8 made of €, as far as size goes', () => {
    // Prepare
    const prefix = '{"a":"';
    const suffix = '"}';
    const room = MAX_BODY_BYTES - prefix.length - suffix.length;
    const body = `${prefix}${'€'.repeat(Math.floor(room / 3))}${'x'.repeat(room % 3)}${suffix}`;
    // Act
    const parsed = parseJsonBody({ contentType: 'application/json', body, isBase64Encoded: false });
    const encoded = parseJsonBody({
      contentType: 'application/json',
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    });
    // Assess
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    expect(parsed).toEqual(encoded);
  });

  it('fails when a device name holds a slash, with 400 naming devices[0].deviceName', async () => {
    // Act
    const { response, problem, upstream } = await send({
      body: { devices: [{ productKey: 'pk1', deviceName: 'cam/1' }] },
    });
    // Assess
    expect(response.statusCode).toBe(400);
    expect(problem).toMatchObject({ code: 'INVALID_REQUEST', field: 'devices[0].deviceName' });
    expect(upstream.calls).toEqual([]);
  });
});

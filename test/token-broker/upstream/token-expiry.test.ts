import { describe, expect, it } from 'vitest';
import {
  checkToken,
  decodeJwtClaims,
  MAX_TOKEN_LIFETIME_MS,
  MAX_VISUAL_TOKEN_BYTES,
  VISUAL_TOKEN_PATTERN,
} from '../../../functions/token-broker/upstream/token-expiry.ts';
import { fakeVisualToken } from '../../support/fakes.ts';

const device = { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' };
const NOW = 1_800_000_000_000;
/** A JWT whose claims part is `claimsJson` as given, so it can hold what JSON.stringify never writes. */
const rawJwt = (claimsJson: string) =>
  `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(claimsJson).toString('base64url')}.sig`;

describe('decodeJwtClaims', () => {
  it('returns the claims of a three-part token', () => {
    // Act
    const claims = decodeJwtClaims(rawJwt('{"sub":"p#d","exp":1}'));
    // Assess
    expect(claims).toEqual({ sub: 'p#d', exp: 1 });
  });

  it.each([
    ['it has one part', 'opaque-token'],
    ['it has two parts', `${rawJwt('{}').split('.').slice(0, 2).join('.')}`],
    ['it has four parts', `${rawJwt('{}')}.more`],
    ['its claims part is empty', 'eyJhbGciOiJIUzI1NiJ9..sig'],
  ])('fails when %s, as not a JWT', (_case, token) => {
    // Act
    const act = () => decodeJwtClaims(token);
    // Assess
    expect(act).toThrow('not a JWT');
  });

  it.each([
    ['an array', '[1,2]'],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"p#d"'],
  ])('fails when the claims are %s, not an object', (_case, claimsJson) => {
    // Act
    const act = () => decodeJwtClaims(rawJwt(claimsJson));
    // Assess
    expect(act).toThrow('JWT claims are not an object');
  });
});

describe('checkToken', () => {
  it('takes the expiry from the JWT exp when the token is a JWT', () => {
    // Prepare
    const jwt = fakeVisualToken(device, NOW / 1000 + 600);
    // Act
    const check = checkToken(device, jwt, 3600, NOW);
    // Assess
    expect(check).toEqual({ ok: true, expiresAt: NOW + 600_000 });
  });

  it('reads expire as seconds for an opaque token', () => {
    expect(checkToken(device, 'opaque-token', 3600, NOW)).toEqual({
      ok: true,
      expiresAt: NOW + 3_600_000,
    });
  });

  it('reads expire above 30 days as milliseconds', () => {
    expect(checkToken(device, 'opaque-token', 86_400_000, NOW)).toEqual({
      ok: true,
      expiresAt: NOW + 86_400_000,
    });
  });

  it('reads exactly 30 days as seconds', () => {
    expect(checkToken(device, 'opaque', 2_592_000, NOW)).toEqual({
      ok: true,
      expiresAt: NOW + 2_592_000_000,
    });
  });

  it.each([
    [
      'the JWT sub names another device',
      fakeVisualToken({ ...device, deviceName: 'other' }, NOW / 1000 + 600),
      3600,
      /another device/,
    ],
    ['there is no expiry at all', 'opaque-token', undefined, /no usable expiry/],
    ['expire is not positive', 'opaque-token', 0, /no usable expiry/],
    [
      'the JWT expires the moment it arrives',
      fakeVisualToken(device, NOW / 1000),
      3600,
      /already expired/,
    ],
    [
      'the JWT exp is a numeric string, however near',
      fakeVisualToken(device, String(NOW / 1000 + 600) as unknown as number),
      3600,
      /^token exp is not a number$/,
    ],
    [
      'the JWT exp is NaN (null once serialised)',
      fakeVisualToken(device, Number.NaN),
      3600,
      /^token exp is not a number$/,
    ],
    [
      'the JWT exp is 1e400, Infinity once parsed',
      rawJwt(`{"sub":"${device.productKey}#${device.deviceName}","exp":1e400}`),
      3600,
      /^token exp is not a number$/,
    ],
    ['expire is a numeric string', 'opaque-token', '3600', /^token expire is not a number$/],
    [
      'expire is Infinity',
      'opaque-token',
      Number.POSITIVE_INFINITY,
      /^token expire is not a number$/,
    ],
    [
      'the JWT exp is one second past 30 days',
      fakeVisualToken(device, (NOW + MAX_TOKEN_LIFETIME_MS) / 1000 + 1),
      3600,
      /^token expiry is more than 30 days away$/,
    ],
    [
      'the JWT is already expired',
      fakeVisualToken(device, NOW / 1000 - 1),
      3600,
      /already expired/,
    ],
  ])('fails when %s', (_case, token, expire, reason) => {
    const check = checkToken(device, token, expire, NOW);
    expect(check).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  it('accepts an expiry exactly MAX_TOKEN_LIFETIME_MS away', () => {
    // Act
    const jwt = checkToken(
      device,
      fakeVisualToken(device, (NOW + MAX_TOKEN_LIFETIME_MS) / 1000),
      undefined,
      NOW,
    );
    const opaque = checkToken(device, 'opaque', MAX_TOKEN_LIFETIME_MS, NOW);
    // Assess
    expect(MAX_TOKEN_LIFETIME_MS).toBe(30 * 24 * 3600 * 1000);
    expect(jwt).toEqual({ ok: true, expiresAt: NOW + MAX_TOKEN_LIFETIME_MS });
    expect(opaque).toEqual({ ok: true, expiresAt: NOW + MAX_TOKEN_LIFETIME_MS });
  });

  const TEN_YEARS_S = 10 * 365 * 24 * 3600;
  it.each([
    ['the JWT exp is 1e13 (a date no Date can hold)', fakeVisualToken(device, 1e13), undefined],
    ['the JWT exp is ten years away', fakeVisualToken(device, NOW / 1000 + TEN_YEARS_S), 3600],
    [
      'the JWT exp is one second past 30 days',
      fakeVisualToken(device, (NOW + MAX_TOKEN_LIFETIME_MS) / 1000 + 1),
      3600,
    ],
    ['the JWT exp is negative', fakeVisualToken(device, -1), 3600],
    [
      'the JWT exp is not a number',
      fakeVisualToken(device, '1900000000' as unknown as number),
      3600,
    ],
    ['the JWT exp is NaN (null once serialised)', fakeVisualToken(device, Number.NaN), 3600],
    ['expire is 1e20', 'opaque-token', 1e20],
    [
      'expire is ten years of seconds, read as ms but still too far',
      'opaque-token',
      TEN_YEARS_S * 1000,
    ],
    ['expire is negative', 'opaque-token', -3600],
    ['expire is NaN', 'opaque-token', Number.NaN],
    ['expire is Infinity', 'opaque-token', Number.POSITIVE_INFINITY],
    ['expire is a string', 'opaque-token', '3600'],
  ])('fails when %s', (_case, token, expire) => {
    // Act
    const check = checkToken(device, token, expire, NOW);
    // Assess
    expect(check.ok).toBe(false);
  });

  it.each([
    ['a JWT', fakeVisualToken(device, NOW / 1000 + 600)],
    ['an opaque token of exactly 8 KiB', 'a'.repeat(8192)],
    ['a base64 token with + / =', 'ab+/cd=='],
    ['a token of every allowed punctuation', '!#$%&()*+,-./:;=?@[]^_{|}~'],
  ])('accepts %s', (_case, visualToken) => {
    // Act
    const check = checkToken(device, visualToken, 3600, NOW);
    // Assess
    expect(check.ok).toBe(true);
  });

  it.each([
    ['it is one byte over 8 KiB', 'a'.repeat(MAX_VISUAL_TOKEN_BYTES + 1)],
    ['it is about 900 KB', 'a'.repeat(900_000)],
    ['it holds CR/LF', 'abc\r\nSet-Cookie:x'],
    ['it holds a space', 'abc def'],
    ['it holds a tab', 'abc\tdef'],
    ['it holds NUL', 'abc\u0000def'],
    ['it holds </script>', 'abc</script><script>alert(1)</script>'],
    ['it holds a double quote', 'abc"def'],
    ['it holds a single quote', "abc'def"],
    ['it holds a backslash', 'abc\\def'],
    ['it holds a backtick', 'abc`def'],
    ['it holds non-ASCII', 'abc€def'],
    ['it holds DEL', 'abc\u007fdef'],
  ])('fails when %s', (_case, visualToken) => {
    // Act
    const check = checkToken(device, visualToken, 3600, NOW);
    // Assess
    expect(check).toEqual({ ok: false, reason: expect.stringMatching(/printable ASCII/) });
  });

  it('states the 8 KiB limit once: the pattern and the constant agree', () => {
    expect(MAX_VISUAL_TOKEN_BYTES).toBe(8192);
    expect(VISUAL_TOKEN_PATTERN.test('a'.repeat(MAX_VISUAL_TOKEN_BYTES))).toBe(true);
    expect(VISUAL_TOKEN_PATTERN.test('a'.repeat(MAX_VISUAL_TOKEN_BYTES + 1))).toBe(false);
  });
});

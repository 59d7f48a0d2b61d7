import { describe, expect, it } from 'vitest';
import { checkToken } from '../../../functions/token-broker/upstream/token-expiry.ts';
import { fakeVisualToken } from '../../support/fakes.ts';

const device = { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' };
const NOW = 1_800_000_000_000;

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
      'the JWT is already expired',
      fakeVisualToken(device, NOW / 1000 - 1),
      3600,
      /already expired/,
    ],
  ])('fails when %s', (_case, token, expire, reason) => {
    const check = checkToken(device, token, expire, NOW);
    expect(check).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });
});

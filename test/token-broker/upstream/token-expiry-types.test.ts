/**
 * checkToken (token-expiry.ts) refuses an expiry that is not a number,
 * whether the JWT's `exp` claim or the upstream's `expire` field carries it:
 * a string would otherwise turn into NaN and pass every later comparison.
 */
import { describe, expect, it } from 'vitest';
import { checkToken } from '../../../functions/token-broker/upstream/token-expiry.ts';

const DEVICE = { productKey: 'pk', deviceName: 'd0' };
const jwtWithExp = (exp: unknown) => {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ sub: 'pk#d0', exp })}.sig`;
};

describe('checkToken expiry types', () => {
  it('fails when the exp claim is a string, naming it', () => {
    // Act
    const check = checkToken(DEVICE, jwtWithExp('soon'), undefined, 1_000_000);
    // Assess
    expect(check).toEqual({ ok: false, reason: 'token exp is not a number' });
  });

  it('fails when an opaque token has a string expire, naming it', () => {
    // Act
    const check = checkToken(DEVICE, 'opaque-token-1', 'soon', 1_000_000);
    // Assess
    expect(check).toEqual({ ok: false, reason: 'token expire is not a number' });
  });
});

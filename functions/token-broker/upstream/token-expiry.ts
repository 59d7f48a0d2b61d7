/**
 * When a visual token stops being valid, and whether it names the device.
 */
import { decodeJwt } from 'jose';
import type { DeviceKey } from '../device.ts';

/**
 * The provider's samples disagree on the unit of `expire` (3600 in one,
 * 86400000 in another), though the documentation says seconds. No token lives
 * 30 days, so a larger value can only be milliseconds.
 */
const MAX_EXPIRE_SECONDS = 30 * 24 * 3600;

/** What the broker could learn from a token. */
export type TokenCheck =
  | { readonly ok: true; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Works out a token's expiry (epoch ms) and checks its subject.
 * The JWT's own `exp` wins over the response's `expire`: it is what the
 * provider will enforce. A JWT `sub`, where present, must be
 * `productKey#deviceName` of the device it was issued for.
 */
export function checkToken(
  device: DeviceKey,
  visualToken: string,
  expire: number | undefined,
  receivedAt: number,
): TokenCheck {
  let claims: { exp?: unknown; sub?: unknown } | undefined;
  try {
    claims = decodeJwt(visualToken);
  } catch {
    claims = undefined; // Not a JWT: an opaque token, valid per `expire`.
  }
  if (claims?.sub !== undefined && claims.sub !== `${device.productKey}#${device.deviceName}`) {
    return { ok: false, reason: 'token subject names another device' };
  }
  let expiresAt: number | undefined;
  if (typeof claims?.exp === 'number' && Number.isFinite(claims.exp)) {
    expiresAt = claims.exp * 1000;
  } else if (expire !== undefined && Number.isFinite(expire) && expire > 0) {
    expiresAt = receivedAt + (expire > MAX_EXPIRE_SECONDS ? expire : expire * 1000);
  }
  if (expiresAt === undefined) return { ok: false, reason: 'token has no usable expiry' };
  if (expiresAt <= receivedAt) return { ok: false, reason: 'token is already expired' };
  return { ok: true, expiresAt };
}

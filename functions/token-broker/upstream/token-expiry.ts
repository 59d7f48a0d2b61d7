/**
 * When a visual token stops being valid, and whether it names the device.
 */
import type { DeviceKey } from '../device.ts';

/**
 * The claims of a compact JWS, unverified: what `jose`'s `decodeJwt` does,
 * without its 1.6 KB in the Lambda bundle. The broker only reads `sub` and
 * `exp` of a token the upstream signed; it never trusts them for access.
 * @throws Error when `token` is not three dot-separated parts whose middle
 * one is a base64url JSON object.
 */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === '') throw new Error('not a JWT');
  const claims: unknown = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'));
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new Error('JWT claims are not an object');
  }
  return claims as Record<string, unknown>;
}

/**
 * The longest a token may live from the moment it is received, in ms. No
 * provider token lives a month; a later expiry is a faulty or hostile answer,
 * and caching it would serve (or, past year 275760, crash on) it for every
 * caller until the container is recycled.
 */
export const MAX_TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

/** Longest visual token accepted, in bytes (characters: it is ASCII). */
export const MAX_VISUAL_TOKEN_BYTES = 8192;

/**
 * What a visual token may be made of: 1 to {@link MAX_VISUAL_TOKEN_BYTES}
 * printable ASCII characters, no whitespace, and none of `"` `'` `<` `>` `\`
 * `` ` ``. A JWT (base64url and dots) and any base64, hex or URL-safe opaque
 * token fit; CR/LF could split a header or a log line, NUL truncates C
 * strings, and the six refused characters are what it takes to break out of
 * an HTML attribute, a `<script>` block or a JS/JSON string in a caller's
 * page, so `</script>` never reaches one.
 */
export const VISUAL_TOKEN_PATTERN =
  /^[\x21\x23-\x26\x28-\x3b\x3d\x3f-\x5b\x5d-\x5f\x61-\x7e]{1,8192}$/;

/**
 * The provider's samples disagree on the unit of `expire` (3600 in one,
 * 86400000 in another), though the documentation says seconds. No token lives
 * 30 days, so a larger value can only be milliseconds.
 */
const MAX_EXPIRE_SECONDS = MAX_TOKEN_LIFETIME_MS / 1000;

/** What the broker could learn from a token. */
export type TokenCheck =
  | { readonly ok: true; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Works out a token's expiry (epoch ms) and checks its subject.
 * The JWT's own `exp` wins over the response's `expire`: it is what the
 * provider will enforce, so `expire` is read only for an opaque token. A JWT
 * `sub`, where present, must be `productKey#deviceName` of the device it was
 * issued for. The expiry must lie after `receivedAt` and at most
 * {@link MAX_TOKEN_LIFETIME_MS} after it.
 */
export function checkToken(
  device: DeviceKey,
  visualToken: string,
  expire: unknown,
  receivedAt: number,
): TokenCheck {
  // Before decoding: a megabyte-sized "JWT" is not worth parsing.
  if (!VISUAL_TOKEN_PATTERN.test(visualToken)) {
    return {
      ok: false,
      reason: `token is not 1 to ${MAX_VISUAL_TOKEN_BYTES} printable ASCII characters without whitespace or quotes`,
    };
  }
  let claims: { exp?: unknown; sub?: unknown } | undefined;
  try {
    claims = decodeJwtClaims(visualToken);
  } catch {
    claims = undefined; // Not a JWT: an opaque token, valid per `expire`.
  }
  if (claims?.sub !== undefined && claims.sub !== `${device.productKey}#${device.deviceName}`) {
    return { ok: false, reason: 'token subject names another device' };
  }
  let expiresAt: number | undefined;
  if (claims?.exp !== undefined) {
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
      return { ok: false, reason: 'token exp is not a number' };
    }
    expiresAt = claims.exp * 1000;
  } else if (expire !== undefined) {
    if (typeof expire !== 'number' || !Number.isFinite(expire)) {
      return { ok: false, reason: 'token expire is not a number' };
    }
    if (expire <= 0) return { ok: false, reason: 'token has no usable expiry' };
    expiresAt = receivedAt + (expire > MAX_EXPIRE_SECONDS ? expire : expire * 1000);
  }
  if (expiresAt === undefined) return { ok: false, reason: 'token has no usable expiry' };
  if (expiresAt <= receivedAt) return { ok: false, reason: 'token is already expired' };
  if (expiresAt - receivedAt > MAX_TOKEN_LIFETIME_MS) {
    return { ok: false, reason: 'token expiry is more than 30 days away' };
  }
  return { ok: true, expiresAt };
}

/**
 * The local server's stand-in for API Gateway's JWT authorizer: the bearer
 * token of a request, verified by the dev issuer. A refusal says why in a
 * reason from a fixed list, for the log; the caller's answer stays a
 * generic 401, and neither ever holds the token.
 */
import { UnauthenticatedError } from '../token-broker/errors.ts';
import type { DevVerifier } from './dev-issuer.ts';

/** Why a bearer token was refused, by jose's error code; anything else is "invalid". */
const REASONS: Readonly<Record<string, string>> = {
  ERR_JWT_EXPIRED: 'expired (exp)',
  ERR_JWKS_NO_MATCHING_KEY: 'unknown signing key (kid)',
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm not allowed (alg)',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature does not verify',
  ERR_JWS_INVALID: 'not a signed JWT',
  ERR_JWT_INVALID: 'not a JWT',
};

/** The reason of a claim check that failed, by claim. */
const CLAIM_REASONS: Readonly<Record<string, string>> = {
  iss: 'wrong issuer (iss)',
  aud: 'wrong audience (aud)',
  nbf: 'not yet valid (nbf)',
  iat: 'issued in the future (iat)',
  exp: 'expired (exp)',
};

/**
 * The log's reason for a verification failure, from a fixed list, so that
 * nothing of the token (or of jose's message) can reach the log.
 * @example
 * refusalReason(new errors.JWTExpired('…', payload)); // 'expired (exp)'
 */
export function refusalReason(error: unknown): string {
  const { code, claim, reason } = error as { code?: string; claim?: string; reason?: string };
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (reason === 'missing') return `no ${claim ?? 'required'} claim`;
    return CLAIM_REASONS[claim ?? ''] ?? 'a claim check failed';
  }
  return REASONS[code ?? ''] ?? 'invalid token';
}

/** The outcome of {@link authenticate}: the claims, or the refusal and its reason. */
export type Authentication =
  | { readonly claims: Record<string, unknown> }
  | { readonly refusal: UnauthenticatedError; readonly reason: string };

/**
 * Verifies the `Authorization` header's bearer token. Never throws: a
 * refusal is an outcome, answered 401 with the reason logged.
 */
export async function authenticate(
  verify: DevVerifier,
  header: string | undefined,
): Promise<Authentication> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) {
    return {
      refusal: new UnauthenticatedError('A bearer token is required in the Authorization header'),
      reason: header === undefined ? 'no Authorization header' : 'not a Bearer token',
    };
  }
  try {
    return { claims: await verify(match[1]) };
  } catch (cause) {
    return {
      refusal: new UnauthenticatedError('The bearer token is invalid or expired', { cause }),
      reason: refusalReason(cause),
    };
  }
}

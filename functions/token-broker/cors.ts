/**
 * CORS rules shared by the handler (real responses) and the local server
 * (preflight, which API Gateway answers itself when deployed). Pure.
 *
 * Origins are compared as exact strings against a list that config.ts has
 * already checked to hold bare origins with no wildcard, so no pattern
 * matching can let `https://wwwxexample.com` pass for `https://www.example.com`.
 */

/** Methods a browser may use: `POST /tokens`, `GET /tokens/devices`. */
export const CORS_ALLOWED_METHODS = ['GET', 'POST'] as const;

/** Request headers a browser may send to `/tokens`. */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type'] as const;

/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 600;

/** Whether `origin` is exactly one of `allowedOrigins`. */
export function isAllowedOrigin(
  origin: string | undefined,
  allowedOrigins: readonly string[],
): origin is string {
  // Stryker disable next-line ConditionalExpression: a list of strings never includes undefined.
  return origin !== undefined && allowedOrigins.includes(origin);
}

/**
 * Headers of a real response. `Vary: Origin` is always set, because the
 * answer differs by origin and a shared cache must not serve one origin's
 * answer to another.
 */
export function corsResponseHeaders(
  origin: string | undefined,
  allowedOrigins: readonly string[],
): Record<string, string> {
  return isAllowedOrigin(origin, allowedOrigins)
    ? { 'access-control-allow-origin': origin, vary: 'Origin' }
    : { vary: 'Origin' };
}

/**
 * Headers of a preflight answer: the allowed method, headers and max age for
 * an allowed origin; for any other origin, no CORS header, so the browser
 * refuses the real request.
 */
export function corsPreflightHeaders(
  origin: string | undefined,
  allowedOrigins: readonly string[],
): Record<string, string> {
  if (!isAllowedOrigin(origin, allowedOrigins)) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': CORS_ALLOWED_METHODS.join(', '),
    'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(', '),
    'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    vary: 'Origin',
  };
}

/**
 * CORS as a middy middleware, in the style of @middy/http-cors: a factory
 * returning `{before, after, onError}`. Hand-written rather than that
 * package, which also matches origins by pattern, because the rule here
 * (cors.ts) is exact match only.
 */
import type middy from '@middy/core';
import { corsResponseHeaders } from './cors.ts';
import { EVENT_KINDS, eventKindOf, originOf } from './event-mapping.ts';
import type { HttpResponse } from './problem.ts';

/** What the middleware keeps in `request.internal`. */
interface CorsInternal extends Record<string, unknown> {
  /** The request's `Origin`, when it came over HTTP. */
  corsOrigin?: string | undefined;
  /** Whether the event came over HTTP, so the response gets CORS headers. */
  corsHttp?: boolean;
}

type CorsRequest = middy.Request<unknown, unknown, Error, unknown, CorsInternal>;

/**
 * Adds the CORS headers to every HTTP response, errors included, wherever no
 * one else does: the local server, a REST API, an HTTP API without CORS
 * configured (with it, API Gateway sets them from the same list and drops
 * ours). A direct invocation is left alone. Use it first, so its `after` and
 * `onError` run last and see the final response.
 */
export function corsMiddleware(
  allowedOrigins: readonly string[],
): middy.MiddlewareObj<unknown, unknown, Error, unknown, CorsInternal> {
  const addHeaders = (request: CorsRequest) => {
    const response = request.response as HttpResponse | undefined;
    if (request.internal.corsHttp !== true || response?.headers === undefined) return;
    request.response = {
      ...response,
      headers: {
        ...response.headers,
        ...corsResponseHeaders(request.internal.corsOrigin, allowedOrigins),
      },
    };
  };
  return {
    before(request) {
      if (eventKindOf(request) === EVENT_KINDS.direct) return;
      // Read now: later middlewares and the handler must not be trusted to
      // leave the event as it came.
      request.internal.corsOrigin = originOf(request.event);
      request.internal.corsHttp = true;
    },
    after: addHeaders,
    onError: addHeaders,
  };
}

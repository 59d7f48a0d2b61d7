/**
 * Shapes the answer for its caller: JSON over HTTP, problem+json for an
 * HTTP error, and for a direct invoker the result as it is, or an error
 * that carries no internals.
 */

import { jsonResponse, problemResponse, toInvokeError } from '../problem.ts';
import { brokerRequestOf, type ProtocolMiddleware } from './broker-request.ts';

/**
 * Creates the middleware; use it before the request log, so that it shapes
 * what the log has seen.
 * @example
 * middy().use(responseMiddleware()).use(requestLogMiddleware({ logger, metrics, now }));
 */
export function responseMiddleware(): ProtocolMiddleware {
  return {
    after(request) {
      if (brokerRequestOf(request.event)?.http !== undefined) {
        request.response = jsonResponse(200, request.response);
      }
    },
    onError(request) {
      const req = brokerRequestOf(request.event);
      const requestId = req?.requestId ?? request.context.awsRequestId ?? 'unknown';
      if (req?.http === undefined) {
        // Left for middy to throw after the onError chain: an error thrown
        // from onError itself gets the internal error attached as `cause`
        // and `originalError`, which a serialiser could then expose.
        request.response = undefined;
        request.error = toInvokeError(request.error, requestId);
        return;
      }
      request.response = problemResponse(request.error, requestId);
    },
  };
}

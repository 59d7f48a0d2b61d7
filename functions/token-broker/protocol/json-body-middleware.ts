/**
 * Parses the JSON body of an HTTP token request into the request's payload,
 * as @middy/http-json-body-parser does, with the media type, size and
 * encoding checks of request.ts.
 */
import { parseJsonBody } from '../request.ts';
import { mapped, type ProtocolMiddleware, ROUTES } from './broker-request.ts';

/**
 * Creates the middleware.
 * @example
 * middy().use(eventMiddleware(now)).use(jsonBodyMiddleware());
 */
export function jsonBodyMiddleware(): ProtocolMiddleware {
  return {
    before(request) {
      const req = mapped(request);
      const { http } = req;
      if (http === undefined || req.route !== ROUTES.tokens) return;
      req.payload = parseJsonBody({
        contentType: http.headers['content-type'],
        body: http.body,
        isBase64Encoded: http.isBase64Encoded,
      });
    },
  };
}

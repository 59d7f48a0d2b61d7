/**
 * Validates the payload against the route's contract: a token request's
 * devices and `refresh`, or the user a direct invoker lists grants for.
 */
import { parseGrantsFor, parseTokenRequest } from '../request.ts';
import { mapped, type ProtocolMiddleware, ROUTES } from './broker-request.ts';

/**
 * Creates the middleware.
 * @example
 * middy().use(eventMiddleware(now)).use(payloadMiddleware(50));
 */
export function payloadMiddleware(maxDevicesPerRequest: number): ProtocolMiddleware {
  return {
    before(request) {
      const req = mapped(request);
      if (req.route === ROUTES.tokens) {
        const parsed = parseTokenRequest(req.payload, maxDevicesPerRequest);
        req.devices = parsed.devices;
        req.refresh = parsed.refresh === true;
      } else if (req.http === undefined) {
        req.onBehalf = parseGrantsFor(req.payload);
      }
    },
  };
}

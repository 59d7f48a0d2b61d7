/**
 * Refuses an HTTP method the route does not take, with the `Allow` it does:
 * `POST /tokens`, `GET /tokens/devices`.
 */
import { MethodNotAllowedError } from '../errors.ts';
import { mapped, type ProtocolMiddleware, ROUTES } from './broker-request.ts';

/**
 * Creates the middleware.
 * @example
 * middy().use(eventMiddleware(now)).use(methodMiddleware());
 */
export function methodMiddleware(): ProtocolMiddleware {
  return {
    before(request) {
      const { http, route } = mapped(request);
      const allow = route === ROUTES.devices ? 'GET' : 'POST';
      if (http !== undefined && http.method !== allow) {
        throw new MethodNotAllowedError(
          `Method ${http.method || '(none)'} is not allowed; use ${allow}`,
          allow,
        );
      }
    },
  };
}

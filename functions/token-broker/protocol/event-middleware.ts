/**
 * The event mapping as a middleware: tells the event kinds and routes apart
 * and replaces the raw event with a {@link BrokerRequest}, so that every
 * later middleware and the handler read one shape.
 */
import { DEVICES_PATH } from '../contract.ts';
import { EVENT_KINDS, eventKindOf, type HttpRequest, toHttpRequest } from '../event-mapping.ts';
import { newRequest, type ProtocolMiddleware, ROUTES, type Route } from './broker-request.ts';

/** The route of a request: the grants listing by its path or, directly invoked, its field. */
function routeOf(http: HttpRequest | undefined, event: unknown): Route {
  const listing =
    http === undefined
      ? typeof event === 'object' && event !== null && 'grantsFor' in event
      : http.path.endsWith(DEVICES_PATH);
  return listing ? ROUTES.devices : ROUTES.tokens;
}

/**
 * Creates the middleware; use it before every other protocol middleware.
 * @example
 * middy().use(eventMiddleware(Date.now)).handler((request) => …);
 */
export function eventMiddleware(now: () => number): ProtocolMiddleware {
  return {
    before(request) {
      const kind = eventKindOf(request);
      const raw = request.event;
      const http =
        kind === EVENT_KINDS.direct
          ? undefined
          : toHttpRequest(kind, raw as Record<string, unknown>);
      request.event = newRequest({
        kind,
        requestId: http?.requestId ?? request.context.awsRequestId ?? 'unknown',
        started: now(),
        route: routeOf(http, raw),
        http,
        payload: http === undefined ? raw : undefined,
      });
    },
  };
}

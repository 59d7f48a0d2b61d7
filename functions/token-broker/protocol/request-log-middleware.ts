/**
 * The request's one log line, on success and failure alike, and the
 * request's metrics flushed once at its end.
 */
import { EVENT_KINDS } from '../event-mapping.ts';
import { describeError, type Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { toProblem } from '../problem.ts';
import {
  type BrokerRequest,
  brokerRequestOf,
  newRequest,
  type ProtocolMiddleware,
  ROUTES,
} from './broker-request.ts';

/** What the middleware needs. */
export interface RequestLogOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Clock, epoch ms. */
  readonly now: () => number;
}

/**
 * Creates the middleware; use it before the event mapping, so that its
 * `after` and `onError` see the handler's own result.
 * @example
 * middy().use(requestLogMiddleware({ logger, metrics, now })).use(eventMiddleware(now));
 */
export function requestLogMiddleware(options: RequestLogOptions): ProtocolMiddleware {
  const { logger, metrics, now } = options;
  const line = (req: BrokerRequest, outcome: string, status: number, extra: object) => {
    logger.info('token request', {
      requestId: req.requestId,
      kind: req.kind,
      ...(req.route === ROUTES.devices ? { route: req.route } : {}),
      deviceCount: req.devices.length,
      ...(req.refresh ? { refresh: true } : {}),
      ...req.stats,
      outcome,
      status,
      durationMs: now() - req.started,
      ...extra,
    });
  };
  return {
    after(request) {
      const req = brokerRequestOf(request.event) as BrokerRequest;
      const result = request.response as { tokens?: unknown[]; failures?: unknown[] };
      line(
        req,
        'OK',
        200,
        req.route === ROUTES.tokens
          ? { tokens: result.tokens?.length, failures: result.failures?.length }
          : {},
      );
      metrics.flush(request.context.functionName);
    },
    onError(request) {
      const req = brokerRequestOf(request.event) ?? fallback(request.context.awsRequestId, now());
      const problem = toProblem(request.error, req.requestId);
      line(req, problem.code, problem.status, { error: describeError(request.error) });
      metrics.flush(request.context.functionName);
    },
  };
}

/** The request of an event the mapping never saw. */
const fallback = (requestId: string | undefined, started: number): BrokerRequest =>
  newRequest({
    kind: EVENT_KINDS.direct,
    requestId: requestId ?? 'unknown',
    started,
    route: ROUTES.tokens,
    http: undefined,
    payload: undefined,
  });

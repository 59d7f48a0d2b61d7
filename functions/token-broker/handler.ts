/**
 * The Lambda handler: composes the event mapping, the CORS middleware, the
 * token-request protocol and the problem responses around the broker. The
 * only file, with cors-middleware.ts, that knows middy.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Broker } from './broker.ts';
import { DEFAULTS } from './config.ts';
import type { DeviceKey, TokenResult } from './contract.ts';
import { corsMiddleware } from './cors-middleware.ts';
import { MethodNotAllowedError, UpstreamTimeoutError } from './errors.ts';
import {
  EVENT_KINDS,
  type EventKind,
  eventKindOf,
  grantsOf,
  toHttpRequest,
} from './event-mapping.ts';
import { describeError, type Logger, withRequestId } from './log.ts';
import { type Metrics, NO_METRICS } from './metrics.ts';
import { jsonResponse, problemResponse, toInvokeError, toProblem } from './problem.ts';
import { parseJsonBody, parseTokenRequest } from './request.ts';
import { enforceScope } from './scope.ts';
import { type BrokerStats, emptyStats } from './token-source.ts';

export { EVENT_KINDS } from './event-mapping.ts';
export type { HttpResponse } from './problem.ts';

/** What the handler needs. */
export interface HandlerDependencies {
  /** The use case. */
  readonly broker: Broker;
  /** Where the per-request line goes. */
  readonly logger: Logger;
  /** Most devices one request may name. */
  readonly maxDevicesPerRequest: number;
  /**
   * JWT claim that carries the caller's device grants.
   * @default DEFAULTS.deviceScopeClaim ('devices')
   */
  readonly deviceScopeClaim?: string;
  /**
   * Products every caller, direct invokers included, is limited to.
   * @default no deployment-wide limit
   */
  readonly allowedProductKeys?: readonly string[] | undefined;
  /**
   * Exact origins whose browsers may read responses.
   * @default none
   */
  readonly corsAllowedOrigins?: readonly string[];
  /**
   * Metrics, flushed once at the end of every request.
   * @default NO_METRICS
   */
  readonly metrics?: Metrics;
  /**
   * Clock, epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** One request as the protocol middleware understood it. */
interface Invocation {
  readonly kind: EventKind;
  readonly requestId: string;
  readonly started: number;
  devices: readonly DeviceKey[];
  refresh: boolean;
  /** The caller's JWT `sub`, for per-caller limits; absent for a direct invocation. */
  principal?: string;
  readonly stats: BrokerStats;
}

/** What the protocol middleware keeps in `request.internal`. */
interface ProtocolInternal extends Record<string, unknown> {
  inv?: Invocation;
}

/** Builds the middy-wrapped handler around a broker. */
export function createHandler(deps: HandlerDependencies) {
  const { broker, logger, maxDevicesPerRequest } = deps;
  const claimName = deps.deviceScopeClaim ?? DEFAULTS.deviceScopeClaim;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? NO_METRICS;
  // middy hands its handler the event, the context and a signal, but not
  // `request.internal`; the context object is the key from the middleware's
  // state to the handler. Lambda gives every invocation its own context, and
  // the middlewares' `before` and the handler's start run in one synchronous
  // stretch, so even a context shared by concurrent calls cannot mix them up.
  const invocations = new WeakMap<object, Invocation>();

  const newInvocation = (kind: EventKind, requestId: string): Invocation => ({
    kind,
    requestId,
    started: now(),
    devices: [],
    refresh: false,
    stats: emptyStats(),
  });

  const logLine = (inv: Invocation, outcome: string, status: number, extra: object) => {
    logger.info('token request', {
      requestId: inv.requestId,
      kind: inv.kind,
      deviceCount: inv.devices.length,
      ...(inv.refresh ? { refresh: true } : {}),
      ...inv.stats,
      outcome,
      status,
      durationMs: now() - inv.started,
      ...extra,
    });
  };

  const protocol: middy.MiddlewareObj<unknown, unknown, Error, Context, ProtocolInternal> = {
    before(request) {
      const kind = eventKindOf(request);
      const http =
        kind === EVENT_KINDS.direct
          ? undefined
          : toHttpRequest(kind, request.event as Record<string, unknown>);
      const inv = newInvocation(kind, http?.requestId ?? request.context.awsRequestId ?? 'unknown');
      request.internal.inv = inv;
      if (http !== undefined && http.method !== 'POST') {
        throw new MethodNotAllowedError(
          `Method ${http.method || '(none)'} is not allowed; use POST`,
        );
      }
      const payload =
        http === undefined
          ? request.event
          : parseJsonBody({
              contentType: http.headers['content-type'],
              body: http.body,
              isBase64Encoded: http.isBase64Encoded,
            });
      const tokenRequest = parseTokenRequest(payload, maxDevicesPerRequest);
      inv.devices = tokenRequest.devices;
      inv.refresh = tokenRequest.refresh === true;
      // Before the broker, and so before its cache: a token cached for one
      // caller must never reach a caller not entitled to that device. A
      // refresh is checked the same way.
      const grants = grantsOf(http, claimName);
      if (grants.ignored > 0) {
        // The count only: a misconfigured identity provider shows up here,
        // and the claim itself stays out of the log.
        logger.warn('grant claim has malformed entries, which grant nothing', {
          requestId: inv.requestId,
          claim: claimName,
          ignored: grants.ignored,
        });
      }
      enforceScope(inv.devices, grants, deps.allowedProductKeys);
      const sub = http?.claims?.sub;
      if (typeof sub === 'string' && sub !== '') inv.principal = sub;
      invocations.set(request.context, inv);
    },
    after(request) {
      const inv = request.internal.inv as Invocation;
      const result = request.response as TokenResult;
      logLine(inv, 'OK', 200, { tokens: result.tokens.length, failures: result.failures.length });
      metrics.flush(request.context.functionName);
      if (inv.kind !== EVENT_KINDS.direct) request.response = jsonResponse(200, result);
    },
    onError(request) {
      const inv =
        request.internal.inv ??
        newInvocation(EVENT_KINDS.direct, request.context.awsRequestId ?? 'unknown');
      const problem = toProblem(request.error, inv.requestId);
      logLine(inv, problem.code, problem.status, { error: describeError(request.error) });
      metrics.flush(request.context.functionName);
      if (inv.kind === EVENT_KINDS.direct) {
        // Left for middy to throw after the onError chain: an error thrown
        // from onError itself gets the internal error attached as `cause`
        // and `originalError`, which a serialiser could then expose.
        request.response = undefined;
        request.error = toInvokeError(request.error, inv.requestId);
        return;
      }
      request.response = problemResponse(request.error, inv.requestId, {}, problem);
    },
  };

  return middy<unknown, unknown, Error, Context>({
    timeoutEarlyInMillis: 50,
    timeoutEarlyResponse: () => {
      throw new UpstreamTimeoutError('The invocation ran out of time before the upstream answered');
    },
  })
    .use(corsMiddleware(deps.corsAllowedOrigins ?? []))
    .use(protocol)
    .handler((_event, context, { signal }) => {
      const { devices, stats, refresh, principal, requestId } = invocations.get(
        context,
      ) as Invocation;
      invocations.delete(context);
      // The Lambda's own deadline bounds every upstream attempt.
      const deadline = now() + context.getRemainingTimeInMillis();
      return withRequestId(requestId, () =>
        broker.getTokens(devices, {
          signal,
          stats,
          deadline,
          refresh,
          ...(principal === undefined ? {} : { principal }),
        }),
      );
    });
}

/**
 * The Lambda handler: the only file that knows middy and API Gateway. It maps
 * an API Gateway HTTP API (payload 2.0) or REST API (payload 1.0) event, or a
 * direct invocation, onto the broker, and maps the result or error back.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Broker, type BrokerStats, emptyStats, type TokenResult } from './broker.ts';
import { DEFAULTS } from './config.ts';
import { corsResponseHeaders } from './cors.ts';
import type { DeviceKey } from './device.ts';
import {
  BrokerError,
  ForbiddenDeviceError,
  InvalidRequestError,
  MethodNotAllowedError,
  UnauthenticatedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './errors.ts';
import { describeError, type Logger } from './log.ts';
import { type Metrics, NO_METRICS } from './metrics.ts';
import { parseJsonBody, parseTokenRequest } from './request.ts';
import { DIRECT_INVOKE_GRANTS, enforceScope, type Grants, parseGrants } from './scope.ts';

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

/** The kinds of event the handler serves. */
export const EVENT_KINDS = {
  httpApi: 'http-api-v2',
  restApi: 'rest-api-v1',
  direct: 'direct-invoke',
} as const;

type EventKind = (typeof EVENT_KINDS)[keyof typeof EVENT_KINDS];

/** An HTTP response in the shape both API Gateway payload versions accept. */
export interface HttpResponse {
  /** HTTP status. */
  readonly statusCode: number;
  /** Response headers, lower case. */
  readonly headers: Record<string, string>;
  /** Response body. */
  readonly body: string;
}

/** An HTTP request, whichever API Gateway payload version carried it. */
interface HttpRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
  readonly requestId: string | undefined;
  /** Claims of the identity API Gateway verified; undefined when there is none. */
  readonly claims: Readonly<Record<string, unknown>> | undefined;
}

interface Invocation {
  readonly kind: EventKind;
  readonly requestId: string;
  readonly started: number;
  devices: readonly DeviceKey[];
  readonly stats: BrokerStats;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Tells the event kinds apart by the fields API Gateway always sets. */
function classify(event: unknown): EventKind {
  if (!isRecord(event) || !isRecord(event.requestContext)) return EVENT_KINDS.direct;
  if (event.version === '2.0' && isRecord(event.requestContext.http)) return EVENT_KINDS.httpApi;
  if (typeof event.httpMethod === 'string') return EVENT_KINDS.restApi;
  return EVENT_KINDS.direct;
}

const lowerCaseKeys = (headers: unknown): Record<string, string | undefined> => {
  const out: Record<string, string | undefined> = {};
  if (isRecord(headers)) {
    for (const [k, v] of Object.entries(headers)) {
      if (typeof v === 'string') out[k.toLowerCase()] = v;
    }
  }
  return out;
};

/**
 * The `Origin` header without copying every header: payload 2.0 lower-cases
 * names, so the direct look-up nearly always hits; payload 1.0 keeps the
 * client's case.
 */
function originOf(headers: unknown): string | undefined {
  if (!isRecord(headers)) return undefined;
  const direct = headers.origin;
  if (typeof direct === 'string') return direct;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' && name.toLowerCase() === 'origin') return value;
  }
  return undefined;
}

/** Maps both payload versions onto one request shape, so the rest is shared. */
function toHttpRequest(kind: EventKind, event: Record<string, unknown>): HttpRequest {
  const ctx = event.requestContext as Record<string, unknown>;
  const method =
    kind === EVENT_KINDS.httpApi ? (ctx.http as Record<string, unknown>).method : event.httpMethod;
  return {
    method: typeof method === 'string' ? method.toUpperCase() : '',
    headers: lowerCaseKeys(event.headers),
    body: typeof event.body === 'string' ? event.body : undefined,
    isBase64Encoded: event.isBase64Encoded === true,
    requestId: typeof ctx.requestId === 'string' ? ctx.requestId : undefined,
    claims: verifiedClaims(kind, ctx),
  };
}

/**
 * Where each payload version puts the verified identity: HTTP API's JWT
 * authorizer under `authorizer.jwt.claims`, a REST API Cognito authorizer
 * under `authorizer.claims`.
 */
function verifiedClaims(
  kind: EventKind,
  ctx: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const authorizer = ctx.authorizer;
  if (!isRecord(authorizer)) return undefined;
  const claims =
    kind === EVENT_KINDS.httpApi
      ? isRecord(authorizer.jwt)
        ? authorizer.jwt.claims
        : undefined
      : authorizer.claims;
  return isRecord(claims) ? claims : undefined;
}

/**
 * The grants a request carries. An HTTP request without verified claims comes
 * from a route that lacks an authorizer: it is refused as unauthenticated
 * rather than trusted.
 */
function grantsOf(http: HttpRequest | undefined, claimName: string): Grants {
  if (http === undefined) return DIRECT_INVOKE_GRANTS;
  if (http.claims === undefined) {
    throw new UnauthenticatedError('The request carries no verified identity');
  }
  return parseGrants(http.claims[claimName]);
}

const BASE_HEADERS = { 'cache-control': 'no-store' } as const;

const jsonResponse = (statusCode: number, body: unknown): HttpResponse => ({
  statusCode,
  headers: { ...BASE_HEADERS, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * What a caller is told for server-side failures: the class of fault and
 * what to do, never the internal detail, which goes to the log.
 */
const PUBLIC_DETAIL: Readonly<Record<string, string>> = {
  UPSTREAM_REJECTED: 'The provider refused the broker’s login. Operators: see the broker’s logs.',
  UPSTREAM_ERROR: 'The provider answered with an error or an unusable response. Retry later.',
  UPSTREAM_TIMEOUT: 'The provider did not answer in time. Retry later.',
  UPSTREAM_UNAVAILABLE:
    'The provider is failing; the broker is not calling it for now. Retry after the Retry-After delay.',
  CONFIGURATION_ERROR: 'The broker is misconfigured. Operators: see the broker’s logs.',
  CREDENTIALS_UNAVAILABLE: 'The broker could not read its credentials. Retry later.',
  INTERNAL_ERROR: 'An unexpected error occurred. Operators: see the broker’s logs.',
};

/** The public view of any error: the one place errors become an answer. */
export function toProblem(error: unknown, requestId: string) {
  const known = error instanceof BrokerError ? error : undefined;
  const code = known?.code ?? 'INTERNAL_ERROR';
  const status = known?.status ?? 500;
  const detail =
    status < 500 && known !== undefined
      ? known.message
      : (PUBLIC_DETAIL[code] ?? PUBLIC_DETAIL.INTERNAL_ERROR);
  return {
    type: `urn:visual-token-broker:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: known?.title ?? 'Internal error',
    status,
    detail,
    code,
    requestId,
    ...(error instanceof InvalidRequestError ? { field: error.field } : {}),
    ...(error instanceof ForbiddenDeviceError ? { devices: error.devices } : {}),
  } as const;
}

/**
 * Extra HTTP headers an error calls for: `Retry-After` while the circuit is
 * open, and `Allow` on a 405 (RFC 9110 §15.5.6).
 */
export function problemHeaders(error: unknown): Record<string, string> {
  if (error instanceof UpstreamUnavailableError) {
    return { 'retry-after': String(error.retryAfterSeconds) };
  }
  if (error instanceof MethodNotAllowedError) return { allow: 'POST' };
  return {};
}

/**
 * The error a direct invoker receives: same `name` as the broker's error so a
 * caller or a Step Functions `Catch` can match it, the public detail as the
 * message, and no stack or cause, which Lambda would otherwise serialise.
 */
function toInvokeError(error: unknown, requestId: string): Error {
  const problem = toProblem(error, requestId);
  const out = new Error(`${problem.code}: ${problem.detail}`);
  out.name = error instanceof BrokerError ? error.name : 'InternalError';
  out.stack = `${out.name}: ${out.message}`;
  return out;
}

/** Builds the middy-wrapped handler around a broker. */
export function createHandler(deps: HandlerDependencies) {
  const { broker, logger, maxDevicesPerRequest } = deps;
  const claimName = deps.deviceScopeClaim ?? DEFAULTS.deviceScopeClaim;
  const allowedOrigins = deps.corsAllowedOrigins ?? [];
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? NO_METRICS;

  const logLine = (inv: Invocation, outcome: string, status: number, extra: object) => {
    logger.info('token request', {
      requestId: inv.requestId,
      kind: inv.kind,
      deviceCount: inv.devices.length,
      ...inv.stats,
      outcome,
      status,
      durationMs: now() - inv.started,
      ...extra,
    });
  };

  const protocol: middy.MiddlewareObj<unknown, unknown, Error, Context, { inv?: Invocation }> = {
    before(request) {
      const raw = request.event;
      const kind = classify(raw);
      const http =
        kind === EVENT_KINDS.direct
          ? undefined
          : toHttpRequest(kind, raw as Record<string, unknown>);
      const inv: Invocation = {
        kind,
        requestId: http?.requestId ?? request.context.awsRequestId ?? 'unknown',
        started: now(),
        devices: [],
        stats: emptyStats(),
      };
      request.internal.inv = inv;
      if (http !== undefined && http.method !== 'POST') {
        throw new MethodNotAllowedError(
          `Method ${http.method || '(none)'} is not allowed; use POST`,
        );
      }
      const payload =
        http === undefined
          ? raw
          : parseJsonBody({
              contentType: http.headers['content-type'],
              body: http.body,
              isBase64Encoded: http.isBase64Encoded,
            });
      inv.devices = parseTokenRequest(payload, maxDevicesPerRequest).devices;
      // Before the broker, and so before its cache: a token cached for one
      // caller must never reach a caller not entitled to that device.
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
      request.event = inv;
    },
    after(request) {
      const inv = request.internal.inv as Invocation;
      const result = request.response as TokenResult;
      logLine(inv, 'OK', 200, { tokens: result.tokens.length, failures: result.failures.length });
      metrics.flush(request.context.functionName);
      if (inv.kind !== EVENT_KINDS.direct) request.response = jsonResponse(200, result);
    },
    onError(request) {
      const inv = request.internal.inv ?? {
        kind: EVENT_KINDS.direct,
        requestId: request.context.awsRequestId ?? 'unknown',
        started: now(),
        devices: [],
        stats: emptyStats(),
      };
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
      request.response = {
        statusCode: problem.status,
        headers: {
          ...BASE_HEADERS,
          'content-type': 'application/problem+json',
          ...problemHeaders(request.error),
        },
        body: JSON.stringify(problem),
      } satisfies HttpResponse;
    },
  };

  /**
   * Adds the CORS headers to every HTTP response, errors included, wherever
   * no one else does: the local server, a REST API, an HTTP API without CORS
   * configured (with it, API Gateway sets them from the same list and drops
   * ours). Hand-written: @middy/http-cors also matches origins by pattern,
   * and the rule here is exact match only.
   */
  const cors: middy.MiddlewareObj<
    unknown,
    unknown,
    Error,
    Context,
    { origin?: string; corsHttp?: boolean }
  > = {
    before(request) {
      const raw = request.event;
      if (classify(raw) === EVENT_KINDS.direct) return;
      request.internal.origin = originOf((raw as Record<string, unknown>).headers);
      request.internal.corsHttp = true;
    },
    after: addCorsHeaders,
    onError: addCorsHeaders,
  };
  function addCorsHeaders(
    request: middy.Request<
      unknown,
      unknown,
      Error,
      Context,
      { origin?: string; corsHttp?: boolean }
    >,
  ) {
    const response = request.response as HttpResponse | undefined;
    if (request.internal.corsHttp !== true || response?.headers === undefined) return;
    request.response = {
      ...response,
      headers: {
        ...response.headers,
        ...corsResponseHeaders(request.internal.origin, allowedOrigins),
      },
    };
  }

  return middy<unknown, unknown, Error, Context>({
    timeoutEarlyInMillis: 50,
    timeoutEarlyResponse: () => {
      throw new UpstreamTimeoutError('The invocation ran out of time before the upstream answered');
    },
  })
    .use(cors)
    .use(protocol)
    .handler((inv, context, { signal }) => {
      const { devices, stats } = inv as unknown as Invocation;
      // The Lambda's own deadline bounds every upstream attempt.
      const deadline = now() + context.getRemainingTimeInMillis();
      return broker.getTokens(devices, { signal, stats, deadline });
    });
}

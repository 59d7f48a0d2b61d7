/**
 * Event mapping: tells an API Gateway HTTP API (payload 2.0) event, a REST
 * API (payload 1.0) event and a direct invocation apart, and maps both
 * payload versions onto one request shape with the verified claims and the
 * `Origin`, so the rest of the handler is shared. Pure; knows no middy.
 */

/** The kinds of event the handler serves. */
export const EVENT_KINDS = {
  httpApi: 'http-api-v2',
  restApi: 'rest-api-v1',
  direct: 'direct-invoke',
} as const;

/** One of {@link EVENT_KINDS}. */
export type EventKind = (typeof EVENT_KINDS)[keyof typeof EVENT_KINDS];

/** An HTTP request, whichever API Gateway payload version carried it. */
export interface HttpRequest {
  /** Upper-case method, or '' when the event names none. */
  readonly method: string;
  /** The request path, as the client sent it (a stage prefix included), or ''. */
  readonly path: string;
  /** Headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as API Gateway delivers it. */
  readonly body: string | undefined;
  /** Whether API Gateway base64-encoded the body. */
  readonly isBase64Encoded: boolean;
  /** API Gateway's request id. */
  readonly requestId: string | undefined;
  /** Claims of the identity API Gateway verified; undefined when there is none. */
  readonly claims: Readonly<Record<string, unknown>> | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Tells the event kinds apart by the fields API Gateway always sets. */
export function classify(event: unknown): EventKind {
  if (!isRecord(event) || !isRecord(event.requestContext)) return EVENT_KINDS.direct;
  if (event.version === '2.0' && isRecord(event.requestContext.http)) return EVENT_KINDS.httpApi;
  if (typeof event.httpMethod === 'string') return EVENT_KINDS.restApi;
  return EVENT_KINDS.direct;
}

/** What {@link eventKindOf} needs of a middy request. */
export interface ClassifiableRequest {
  /** The raw event. */
  readonly event: unknown;
  /** Per-request state shared by the middlewares. */
  readonly internal: Record<string, unknown>;
}

/**
 * The kind of the request's event, classified on first use and kept in
 * `request.internal`, so that each middleware asks and the event is still
 * classified once per request.
 */
export function eventKindOf(request: ClassifiableRequest): EventKind {
  const known = request.internal.eventKind as EventKind | undefined;
  if (known !== undefined) return known;
  const kind = classify(request.event);
  request.internal.eventKind = kind;
  return kind;
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
 * The `Origin` header of an HTTP event without copying every header: payload
 * 2.0 lower-cases names, so the direct look-up nearly always hits; payload
 * 1.0 keeps the client's case.
 */
export function originOf(event: unknown): string | undefined {
  const headers = isRecord(event) ? event.headers : undefined;
  if (!isRecord(headers)) return undefined;
  const direct = headers.origin;
  if (typeof direct === 'string') return direct;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' && name.toLowerCase() === 'origin') return value;
  }
  return undefined;
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

/** Maps both payload versions onto one request shape, so the rest is shared. */
export function toHttpRequest(kind: EventKind, event: Record<string, unknown>): HttpRequest {
  const ctx = event.requestContext as Record<string, unknown>;
  const v2 = kind === EVENT_KINDS.httpApi;
  const method = v2 ? (ctx.http as Record<string, unknown>).method : event.httpMethod;
  const path = v2 ? event.rawPath : event.path;
  return {
    method: typeof method === 'string' ? method.toUpperCase() : '',
    path: typeof path === 'string' ? path : '',
    headers: lowerCaseKeys(event.headers),
    body: typeof event.body === 'string' ? event.body : undefined,
    isBase64Encoded: event.isBase64Encoded === true,
    requestId: typeof ctx.requestId === 'string' ? ctx.requestId : undefined,
    claims: verifiedClaims(kind, ctx),
  };
}

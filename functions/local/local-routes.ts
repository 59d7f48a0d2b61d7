/**
 * The routes of `npm start`'s loopback server, each a named step: the
 * loopback Host check, the local endpoints (stats, the OpenAPI document,
 * the Lambda Invoke API), and the API routes (`/tokens`, `/tokens/devices`),
 * which get API Gateway's part: the CORS preflight, the JWT check, and a
 * payload 2.0 event for the handler. Apart from server.ts so that file is
 * about starting and stopping.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEVICES_PATH, TOKENS_PATH } from '../token-broker/contract.ts';
import { corsPreflightHeaders, corsResponseHeaders } from '../token-broker/cors.ts';
import { NotFoundError } from '../token-broker/errors.ts';
import type { Logger } from '../token-broker/log.ts';
import { OPENAPI_DOCUMENT } from '../token-broker/openapi.ts';
import { type HttpResponse, problemResponse } from '../token-broker/problem.ts';
import type { Runtime } from '../token-broker/runtime.ts';
import { readBody, toContext, toEvent } from './api-gateway-event.ts';
import { authenticate } from './bearer-auth.ts';
import type { CountingMetrics } from './counting-metrics.ts';
import type { DevVerifier } from './dev-issuer.ts';
import { INVOKE_PATH, invokeLocally, refuseInvoke } from './lambda-invoke.ts';
import { refuseStats, STATS_PATH, STATUS_TEXT } from './local-stats.ts';
import { fromLoopbackHost, refuse, refuseMisdirected } from './loopback-guard.ts';

/**
 * The paths API Gateway routes to the function, behind its JWT authorizer.
 * Every method on them reaches the handler, which answers the ones it does
 * not serve (405 with `Allow`).
 */
export const API_PATHS: ReadonlySet<string> = new Set([TOKENS_PATH, DEVICES_PATH]);

/** What the routes serve with. */
export interface LocalRoutes {
  /** The Lambda handler. */
  readonly handler: Runtime['handler'];
  /** The handler's logger, for the server's own refusals. */
  readonly logger: Logger;
  /** The handler's metrics, for `GET /__local/stats`. */
  readonly metrics: CountingMetrics;
  /** Plays the JWT authorizer's part. */
  readonly verify: DevVerifier;
  /** The origins CORS allows. */
  readonly origins: readonly string[];
  /**
   * The Host names to answer, known once the port is: with a real secret
   * configured, answering a rebound host would hand real tokens to a web page.
   */
  readonly hosts: () => ReadonlySet<string>;
}

/** One request, as the routes see it. */
interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  readonly requestId: string;
  /** The CORS headers of the server's own answers, as of the handler's. */
  readonly cors: Record<string, string>;
}

const TEXT = { 'content-type': 'text/plain' };

/** Writes `response` with a known length, as API Gateway sends it, instead of chunked encoding. */
export function write(res: ServerResponse, response: HttpResponse): void {
  res.writeHead(response.statusCode, {
    ...response.headers,
    'content-length': Buffer.byteLength(response.body),
  });
  res.end(response.body);
}

const json = (body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** `GET /__local/stats`: this process's counters, for a developer's terminal only. */
function serveStats(routes: LocalRoutes, { req, res }: Exchange): void {
  const refusal = refuseStats(req);
  if (refusal !== undefined) refuse(res, refusal, TEXT, `${STATUS_TEXT[refusal]}\n`);
  else write(res, json(routes.metrics.counts(), { 'cache-control': 'no-store' }));
}

/** `POST /2015-03-31/functions/{name}/invocations`: the Lambda Invoke API. */
async function serveInvoke(routes: LocalRoutes, { req, res, requestId }: Exchange): Promise<void> {
  const refusal = refuseInvoke(req.headers, req.url);
  if (refusal !== undefined) {
    return refuse(res, refusal.statusCode, refusal.headers, refusal.body);
  }
  write(res, await invokeLocally(routes.handler, await readBody(req), toContext(requestId)));
}

/**
 * A CORS preflight, answered as API Gateway's CORS configuration answers it
 * when deployed: before authentication, since a browser sends no
 * Authorization header with it.
 * @returns whether the request was a preflight (and is answered).
 */
function answeredPreflight(routes: LocalRoutes, { req, res }: Exchange): boolean {
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) {
    return false;
  }
  req.resume();
  write(res, {
    statusCode: 204,
    headers: corsPreflightHeaders(req.headers.origin, routes.origins),
    body: '',
  });
  return true;
}

/** An API route: the JWT authorizer's check, then the handler with a payload 2.0 event. */
async function serveApi(routes: LocalRoutes, exchange: Exchange): Promise<void> {
  const { req, res, requestId, cors } = exchange;
  if (answeredPreflight(routes, exchange)) return;
  const body = await readBody(req);
  const auth = await authenticate(routes.verify, req.headers.authorization);
  if ('refusal' in auth) {
    // The reason goes to the log only: the caller learns no more than API Gateway says.
    routes.logger.info('bearer token refused', { requestId, status: 401, reason: auth.reason });
    return write(
      res,
      problemResponse(auth.refusal, requestId, { ...cors, 'www-authenticate': 'Bearer' }),
    );
  }
  const event = toEvent(req, body, auth.claims, requestId);
  write(res, (await routes.handler(event, toContext(requestId))) as HttpResponse);
}

/** Finds the route of `exchange` and serves it; a path nobody serves gets 404. */
async function route(routes: LocalRoutes, exchange: Exchange): Promise<void> {
  const { path, req, res, requestId, cors } = exchange;
  if (path === STATS_PATH) return serveStats(routes, exchange);
  if (path === '/openapi.json') return write(res, json(OPENAPI_DOCUMENT));
  if (INVOKE_PATH.test(path) && req.method === 'POST') return serveInvoke(routes, exchange);
  if (API_PATHS.has(path)) return serveApi(routes, exchange);
  write(res, problemResponse(new NotFoundError(`No route for ${path}`), requestId, cors));
}

/** The server's request listener: the Host check, then {@link route}; a fault is a problem answer. */
export function createRequestListener(
  routes: LocalRoutes,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    if (!fromLoopbackHost(req, routes.hosts())) return refuseMisdirected(res);
    const requestId = randomUUID();
    // The server's own answers carry the same CORS headers as the handler's,
    // so a browser can read a 401 or 404 from an allowed origin.
    const cors = corsResponseHeaders(req.headers.origin, routes.origins);
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      await route(routes, { req, res, path, requestId, cors });
    } catch (error) {
      if (!res.headersSent) write(res, problemResponse(error, requestId, cors));
      else res.destroy();
    }
  };
}

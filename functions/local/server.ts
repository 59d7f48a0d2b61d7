/**
 * `npm start`: the Lambda handler behind a loopback HTTP server that plays
 * API Gateway's part. Each request is verified against the dev issuer, as the
 * JWT authorizer would, and becomes a real payload 2.0 event.
 *
 * With no settings it starts the built-in upstream simulator and uses a dev
 * secret that matches it. See docs/local.md for overrides.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENV, loadConfig, lookalikeWarning } from '../token-broker/config.ts';
import { corsPreflightHeaders, corsResponseHeaders } from '../token-broker/cors.ts';
import { ConfigurationError, NotFoundError } from '../token-broker/errors.ts';
import type { Logger } from '../token-broker/log.ts';
import { createEmfMetrics, type Metrics } from '../token-broker/metrics.ts';
import { OPENAPI_DOCUMENT } from '../token-broker/openapi.ts';
import { type HttpResponse, problemResponse } from '../token-broker/problem.ts';
import { createRuntime } from '../token-broker/runtime.ts';
import { readBody, toContext, toEvent } from './api-gateway-event.ts';
import { authenticate } from './bearer-auth.ts';
import { countingMetrics } from './counting-metrics.ts';
import { createDevVerifier } from './dev-issuer.ts';
import { INVOKE_PATH, invokeLocally, refuseInvoke } from './lambda-invoke.ts';
import { checkSecret, localSecretSource, simulatorAccount } from './local-secret.ts';
import {
  DEFAULT_PORT,
  demoOrigins,
  LOCAL_ENV,
  localLookalikes,
  parsePort,
} from './local-settings.ts';
import { refuseStats, STATS_PATH, STATUS_TEXT } from './local-stats.ts';
import {
  LOCAL_STORE_KEY_SECRET_ID,
  type LocalTokenStore,
  openLocalTokenStore,
} from './local-store.ts';
import { fromLoopbackHost, loopbackHosts, refuse, refuseMisdirected } from './loopback-guard.ts';
import { banner, type ReadyFacts } from './ready-line.ts';
import { parseSimulatorFault } from './simulator-faults.ts';
import { parseTokenLifetime } from './simulator-tokens.ts';
import { startUpstreamSimulator, type UpstreamSimulator } from './upstream-simulator.ts';

/**
 * LOGIN_GATHER_MS of `npm start` when unset: unlike a Lambda container, the
 * local server takes concurrent requests, each passing the JWT check in its
 * own turn, so misses wait this long to share a login.
 */
export const LOCAL_LOGIN_GATHER_MS = 5;

/** Options of {@link startLocalServer}. */
export interface LocalServerOptions {
  /**
   * Environment to read settings from.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Port; 0 picks a free one.
   * @default PORT, else 3000
   */
  readonly port?: number;
  /**
   * Logger of the handler.
   * @default JSON lines on stdout
   */
  readonly logger?: Logger;
  /**
   * Metrics of the handler.
   * @default EMF lines on stdout
   */
  readonly metrics?: Metrics;
  /** Dev issuer key file (tests). */
  readonly keyFile?: URL;
}

/** A running local server: what its ready line reports, and how to stop it. */
export interface LocalServer extends ReadyFacts {
  /** The built-in simulator, when no UPSTREAM_URL was given. */
  readonly simulator: UpstreamSimulator | undefined;
  /** Stops the server and the simulator. */
  close(): Promise<void>;
}

const TEXT = { 'content-type': 'text/plain' };

function write(res: ServerResponse, response: HttpResponse) {
  // A known length, as API Gateway sends it, instead of chunked encoding:
  // one write per response rather than three.
  res.writeHead(response.statusCode, {
    ...response.headers,
    'content-length': Buffer.byteLength(response.body),
  });
  res.end(response.body);
}

/**
 * Listens on 127.0.0.1:`port`; a port in use is a configuration error
 * that says how to pick another.
 */
async function listen(server: Server, port: number): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw cause;
    throw new ConfigurationError(
      `Port ${port} on 127.0.0.1 is in use (EADDRINUSE): stop what holds it, or set ${LOCAL_ENV.port} to another port (${LOCAL_ENV.port}=0 picks a free one)`,
      { cause },
    );
  }
}

/** Starts the local broker (and the simulator when no upstream is configured). */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const env = options.env ?? process.env;
  const port = options.port ?? parsePort(env[LOCAL_ENV.port], LOCAL_ENV.port, DEFAULT_PORT);
  const faultSetting = env[LOCAL_ENV.simulatorFault];
  const account = simulatorAccount(env[LOCAL_ENV.simulatorGatewayAuth]);
  const simulator =
    env[ENV.upstreamUrl] === undefined
      ? await startUpstreamSimulator({
          account,
          tokenLifetimeSeconds: parseTokenLifetime(
            env[LOCAL_ENV.simulatorTokenLifetime],
            LOCAL_ENV.simulatorTokenLifetime,
          ),
          ...(faultSetting ? { fault: parseSimulatorFault(faultSetting) } : {}),
        })
      : undefined;
  let store: LocalTokenStore | undefined;
  try {
    const config = loadConfig(env, {
      allowLoopbackHttp: true,
      fallback: {
        secretId: 'local-dev-secret',
        upstreamUrl: simulator?.url,
        loginGatherMs: String(LOCAL_LOGIN_GATHER_MS),
        // The dev key file stands in for the key secret; see local-store.ts.
        tokenStoreKeySecretId: LOCAL_STORE_KEY_SECRET_ID,
        ...(port === 0 ? {} : { corsAllowedOrigins: demoOrigins(port).join(',') }),
      },
    });
    const origins = config.corsAllowedOrigins;
    const secretSource = await localSecretSource(env, config.secretId, account);
    // Before the ready line: a secret that cannot work fails the start, not the first request.
    await checkSecret(secretSource);
    store = await openLocalTokenStore(env, config);
    const metrics = countingMetrics(options.metrics ?? createEmfMetrics());
    const { handler, logger } = createRuntime(config, {
      secretSource,
      metrics,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(store ? { tokenStore: { client: store.client, keySource: store.keySource } } : {}),
    });
    const verify = await createDevVerifier(options.keyFile);

    // Set once the port is known. With a real secret configured, answering
    // a rebound host would hand real tokens to a web page.
    let hosts: ReadonlySet<string> = new Set();
    const server = createServer(async (req, res) => {
      if (!fromLoopbackHost(req, hosts)) {
        return refuseMisdirected(res);
      }
      const requestId = randomUUID();
      // The server's own answers carry the same CORS headers as the handler's,
      // so a browser can read a 401 or 404 from an allowed origin.
      const cors = corsResponseHeaders(req.headers.origin, origins);
      try {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        if (path === STATS_PATH) {
          const refusal = refuseStats(req);
          if (refusal !== undefined) return refuse(res, refusal, TEXT, `${STATUS_TEXT[refusal]}\n`);
          return write(res, {
            statusCode: 200,
            headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
            body: JSON.stringify(metrics.counts()),
          });
        }
        if (path === '/openapi.json') {
          const body = JSON.stringify(OPENAPI_DOCUMENT);
          return write(res, {
            statusCode: 200,
            headers: { 'content-type': 'application/json' },
            body,
          });
        }
        if (INVOKE_PATH.test(path) && req.method === 'POST') {
          const refusal = refuseInvoke(req.headers, req.url);
          if (refusal !== undefined) {
            return refuse(res, refusal.statusCode, refusal.headers, refusal.body);
          }
          return write(
            res,
            await invokeLocally(handler, await readBody(req), toContext(requestId)),
          );
        }
        if (path !== '/tokens') {
          return write(
            res,
            problemResponse(new NotFoundError(`No route for ${path}`), requestId, cors),
          );
        }
        // Preflight, answered here as API Gateway's CORS configuration
        // answers it when deployed: before authentication, since a browser
        // sends no Authorization header with it.
        if (
          req.method === 'OPTIONS' &&
          req.headers['access-control-request-method'] !== undefined
        ) {
          req.resume();
          return write(res, {
            statusCode: 204,
            headers: corsPreflightHeaders(req.headers.origin, origins),
            body: '',
          });
        }
        const body = await readBody(req);
        const auth = await authenticate(verify, req.headers.authorization);
        if ('refusal' in auth) {
          // The reason goes to the log only: the caller learns no more than API Gateway says.
          logger.info('bearer token refused', { requestId, status: 401, reason: auth.reason });
          return write(
            res,
            problemResponse(auth.refusal, requestId, { ...cors, 'www-authenticate': 'Bearer' }),
          );
        }
        const response = (await handler(
          toEvent(req, body, auth.claims, requestId),
          toContext(requestId),
        )) as HttpResponse;
        write(res, response);
      } catch (error) {
        if (!res.headersSent) write(res, problemResponse(error, requestId, cors));
        else res.destroy();
      }
    });
    await listen(server, port);
    const address = server.address() as AddressInfo;
    hosts = loopbackHosts(address.port);
    return {
      url: `http://127.0.0.1:${address.port}`,
      upstream: simulator
        ? `built-in simulator at ${simulator.url}`
        : new URL(config.upstreamUrl).origin,
      simulator,
      secretDescription: secretSource.name,
      corsAllowedOrigins: origins,
      storeDescription: store?.description,
      close: async () => {
        await new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        });
        store?.close();
        await simulator?.close();
      },
    };
  } catch (error) {
    store?.close();
    await simulator?.close();
    throw error;
  }
}

if (import.meta.main) {
  try {
    // First, so that a typo is reported even when it makes the start fail.
    for (const lookalike of localLookalikes(process.env)) {
      process.stderr.write(`warning: ${lookalikeWarning(lookalike)}\n`);
    }
    const server = await startLocalServer();
    process.stdout.write(`${await banner(server)}\n`);
    const stop = () => {
      server.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    process.stderr.write(
      `visual-token-broker could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
}

/**
 * `npm start`: the Lambda handler behind a loopback HTTP server that plays
 * API Gateway's part. Each request is verified against the dev issuer, as the
 * JWT authorizer would, and becomes a real payload 2.0 event.
 *
 * With no settings it starts the built-in upstream simulator and uses a dev
 * secret that matches it. See docs/local.md for overrides.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENV, loadConfig } from '../token-broker/config.ts';
import { corsPreflightHeaders, corsResponseHeaders } from '../token-broker/cors.ts';
import {
  createSecretsManagerClient,
  type SecretSource,
  secretsManagerSource,
} from '../token-broker/credentials.ts';
import { NotFoundError, UnauthenticatedError } from '../token-broker/errors.ts';
import type { Logger } from '../token-broker/log.ts';
import { createEmfMetrics, type Metrics } from '../token-broker/metrics.ts';
import { OPENAPI_DOCUMENT } from '../token-broker/openapi.ts';
import { type HttpResponse, problemResponse } from '../token-broker/problem.ts';
import { createRuntime } from '../token-broker/runtime.ts';
import { readBody, toContext, toEvent } from './api-gateway-event.ts';
import { countingMetrics } from './counting-metrics.ts';
import { createDevVerifier, type DevVerifier, issueDevToken } from './dev-issuer.ts';
import { INVOKE_PATH, invokeLocally, invokeReadyLine, refuseInvoke } from './lambda-invoke.ts';
import { refuseStats, STATS_PATH, STATUS_TEXT } from './local-stats.ts';
import {
  LOCAL_STORE_KEY_SECRET_ID,
  type LocalTokenStore,
  openLocalTokenStore,
} from './local-store.ts';
import { fromLoopbackHost, loopbackHosts, refuse, refuseMisdirected } from './loopback-guard.ts';
import {
  DEV_ACCOUNT,
  DEV_SIGNATURE_ACCOUNT,
  parseSimulatorFault,
  type SimulatorAccount,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from './upstream-simulator.ts';

/** Variables only the local server reads. */
export const LOCAL_ENV = {
  port: 'PORT',
  secretFile: 'BROKER_SECRET_FILE',
  simulatorFault: 'SIMULATOR_FAULT',
  simulatorGatewayAuth: 'SIMULATOR_GATEWAY_AUTH',
} as const;

/** Default port of `npm start`. */
export const DEFAULT_PORT = 3000;

/**
 * The origins the demo page is served on (`npm run demo`, port + 1), which
 * the local server allows when CORS_ALLOWED_ORIGINS is not set, so the demo
 * works out of the box. Both spellings of loopback, since a browser treats
 * them as different origins.
 */
export function demoOrigins(brokerPort: number): string[] {
  return [`http://127.0.0.1:${brokerPort + 1}`, `http://localhost:${brokerPort + 1}`];
}

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

/** A running local server. */
export interface LocalServer {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** The built-in simulator, when no UPSTREAM_URL was given. */
  readonly simulator: UpstreamSimulator | undefined;
  /** Where the secret comes from, for the start-up banner. */
  readonly secretDescription: string;
  /** The origins CORS allows. */
  readonly corsAllowedOrigins: readonly string[];
  /** The fleet token store, when TOKEN_TABLE is set. */
  readonly storeDescription: string | undefined;
  /** Stops the server and the simulator. */
  close(): Promise<void>;
}

const TEXT = { 'content-type': 'text/plain' };

function fileSource(path: string): SecretSource {
  return { name: `file ${path}`, read: () => readFile(path, 'utf8') };
}

/** The built-in dev secret, matching the simulator's account. */
const devSecretSource = (account: SimulatorAccount): SecretSource => ({
  name: 'built-in dev secret',
  read: async () => JSON.stringify(account),
});

/** The simulator's gateway authentication: AppCode, or the AppKey/AppSecret signature. */
function simulatorAccount(raw: string | undefined): SimulatorAccount {
  if (raw === undefined || raw === 'appCode') return DEV_ACCOUNT;
  if (raw === 'signature') return DEV_SIGNATURE_ACCOUNT;
  throw new Error(`${LOCAL_ENV.simulatorGatewayAuth} must be appCode or signature, got "${raw}"`);
}

function write(res: ServerResponse, response: HttpResponse) {
  // A known length, as API Gateway sends it, instead of chunked encoding:
  // one write per response rather than three.
  res.writeHead(response.statusCode, {
    ...response.headers,
    'content-length': Buffer.byteLength(response.body),
  });
  res.end(response.body);
}

async function authenticate(verify: DevVerifier, header: string | undefined) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) {
    throw new UnauthenticatedError('A bearer token is required in the Authorization header');
  }
  try {
    return await verify(match[1]);
  } catch (cause) {
    throw new UnauthenticatedError('The bearer token is invalid or expired', { cause });
  }
}

/** Starts the local broker (and the simulator when no upstream is configured). */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const env = options.env ?? process.env;
  const port = options.port ?? Number(env[LOCAL_ENV.port] ?? DEFAULT_PORT);
  const faultSetting = env[LOCAL_ENV.simulatorFault];
  const account = simulatorAccount(env[LOCAL_ENV.simulatorGatewayAuth]);
  const simulator =
    env[ENV.upstreamUrl] === undefined
      ? await startUpstreamSimulator({
          account,
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
    const secretFile = env[LOCAL_ENV.secretFile];
    const secretSource =
      secretFile !== undefined
        ? fileSource(secretFile)
        : env[ENV.secretId] !== undefined
          ? secretsManagerSource(createSecretsManagerClient(), config.secretId)
          : devSecretSource(account);
    store = await openLocalTokenStore(env, config);
    const metrics = countingMetrics(options.metrics ?? createEmfMetrics());
    const { handler } = createRuntime(config, {
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
        let claims: Record<string, unknown>;
        try {
          claims = await authenticate(verify, req.headers.authorization);
        } catch (error) {
          return write(
            res,
            problemResponse(error, requestId, { ...cors, 'www-authenticate': 'Bearer' }),
          );
        }
        const response = (await handler(
          toEvent(req, body, claims, requestId),
          toContext(requestId),
        )) as HttpResponse;
        write(res, response);
      } catch (error) {
        if (!res.headersSent) write(res, problemResponse(error, requestId, cors));
        else res.destroy();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    const address = server.address() as AddressInfo;
    hosts = loopbackHosts(address.port);
    return {
      url: `http://127.0.0.1:${address.port}`,
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

/** The start-up banner: what runs where, and a request that works as printed. */
export async function banner(server: LocalServer): Promise<string> {
  const token = await issueDevToken();
  const body = JSON.stringify({
    devices: [{ productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' }],
  });
  return [
    `visual-token-broker ready on ${server.url}`,
    `  upstream: ${server.simulator ? `built-in simulator at ${server.simulator.url}` : ENV.upstreamUrl}`,
    `  secret:   ${server.secretDescription}`,
    `  CORS:     ${server.corsAllowedOrigins.join(', ') || 'no origin allowed'}`,
    ...(server.storeDescription ? [`  store:    ${server.storeDescription}`] : []),
    invokeReadyLine(server.url),
    '',
    'Try it (the token below is a dev token valid for 1 hour; `npm run --silent dev-token` makes more):',
    '',
    `curl -s -X POST ${server.url}/tokens -H 'Content-Type: application/json' -H 'Authorization: Bearer ${token}' -d '${body}'`,
    '',
  ].join('\n');
}

if (import.meta.main) {
  try {
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

/**
 * `npm start`: the Lambda handler behind a loopback HTTP server that plays
 * API Gateway's part. Each request is verified against the dev issuer, as the
 * JWT authorizer would, and becomes a real payload 2.0 event.
 *
 * With no settings it starts the built-in upstream simulator and uses a dev
 * secret that matches it. See docs/local.md for overrides.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BrokerConfig, ENV, loadConfig, lookalikeWarning } from '../token-broker/config.ts';
import type { SecretSource } from '../token-broker/credentials.ts';
import { ConfigurationError } from '../token-broker/errors.ts';
import type { Logger } from '../token-broker/log.ts';
import { createEmfMetrics, type Metrics } from '../token-broker/metrics.ts';
import { createRuntime, type RuntimeOverrides } from '../token-broker/runtime.ts';
import { countingMetrics } from './counting-metrics.ts';
import { createDevVerifier } from './dev-issuer.ts';
import { type AccountMode, startAccountMode } from './local-account-mode.ts';
import type { LocalAccounts } from './local-account-set.ts';
import { type LocalGrantsTable, openLocalGrantsTable } from './local-grants.ts';
import { createRequestListener } from './local-routes.ts';
import { checkSecret, localSecretSource, simulatorAccount } from './local-secret.ts';
import {
  DEFAULT_PORT,
  demoOrigins,
  LOCAL_ENV,
  localLookalikes,
  parsePort,
} from './local-settings.ts';
import {
  LOCAL_STORE_KEY_SECRET_ID,
  type LocalTokenStore,
  openLocalTokenStore,
} from './local-store.ts';
import { loopbackHosts } from './loopback-guard.ts';
import { banner, type ReadyFacts } from './ready-line.ts';
import { parseSimulatorFault } from './simulator-faults.ts';
import { parseTokenLifetime } from './simulator-tokens.ts';
import {
  type SimulatorAccount,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from './upstream-simulator.ts';

type Env = Readonly<Record<string, string | undefined>>;

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
  /** The accounts beside `default` and their simulators, in the multi-account mode (`LOCAL_ACCOUNTS`). */
  readonly accounts: LocalAccounts | undefined;
  /** Stops the server and the simulator. */
  close(): Promise<void>;
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

const lifetimeOf = (env: Env) =>
  parseTokenLifetime(env[LOCAL_ENV.simulatorTokenLifetime], LOCAL_ENV.simulatorTokenLifetime);

/** The built-in simulator, unless UPSTREAM_URL names another upstream. */
async function startSimulatorUnlessUpstream(
  env: Env,
  account: SimulatorAccount,
): Promise<UpstreamSimulator | undefined> {
  if (env[ENV.upstreamUrl] !== undefined) return undefined;
  const faultSetting = env[LOCAL_ENV.simulatorFault];
  return startUpstreamSimulator({
    account,
    tokenLifetimeSeconds: lifetimeOf(env),
    ...(faultSetting ? { fault: parseSimulatorFault(faultSetting) } : {}),
  });
}

/** The function's settings as the Lambda reads them, with the local server's fallbacks. */
function localConfig(
  env: Env,
  port: number,
  simulator: UpstreamSimulator | undefined,
  mode: AccountMode | undefined,
) {
  return loadConfig(env, {
    allowLoopbackHttp: true,
    fallback: {
      ...mode?.fallback,
      secretId: 'local-dev-secret',
      upstreamUrl: simulator?.url,
      loginGatherMs: String(LOCAL_LOGIN_GATHER_MS),
      // The dev key file stands in for the key secret; see local-store.ts.
      tokenStoreKeySecretId: LOCAL_STORE_KEY_SECRET_ID,
      ...(port === 0 ? {} : { corsAllowedOrigins: demoOrigins(port).join(',') }),
    },
  });
}

/** Stops listening, dropping open connections. */
const stopListening = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** What {@link serve} starts the listener with. */
interface Serving {
  readonly config: BrokerConfig;
  readonly port: number;
  readonly simulator: UpstreamSimulator | undefined;
  readonly mode: AccountMode | undefined;
  readonly secretSource: SecretSource;
  readonly store: LocalTokenStore | undefined;
  readonly grants: LocalGrantsTable | undefined;
}

/**
 * The runtime's collaborators of the local engine: the token store's client
 * and key, and the grants directory's client, each only when its table is
 * set. On one engine the directory has the store's client, as in Lambda, so
 * that their reads join one BatchGetItem (local-grants.ts).
 */
const localTables = ({ store, grants }: Serving): Partial<RuntimeOverrides> => ({
  ...(store ? { tokenStore: { client: store.client, keySource: store.keySource } } : {}),
  ...(grants ? { grantsDirectory: { client: grants.client } } : {}),
});

/** Wires the handler and listens: the last step of {@link startLocalServer}. */
async function serve(options: LocalServerOptions, serving: Serving): Promise<LocalServer> {
  const { config, simulator, mode, secretSource, store, grants } = serving;
  const metrics = countingMetrics(options.metrics ?? createEmfMetrics());
  const { handler, logger } = createRuntime(config, {
    secretSource,
    metrics,
    ...(options.logger ? { logger: options.logger } : {}),
    ...localTables(serving),
    ...mode?.overrides,
  });
  const verify = await createDevVerifier(options.keyFile);
  const origins = config.corsAllowedOrigins;
  // Set once the port is known.
  let hosts: ReadonlySet<string> = new Set();
  const listener = createRequestListener({
    handler,
    logger,
    metrics,
    verify,
    origins,
    hosts: () => hosts,
  });
  const server = createServer(listener);
  await listen(server, serving.port);
  const address = server.address() as AddressInfo;
  hosts = loopbackHosts(address.port);
  const upstream = simulator
    ? `built-in simulator at ${simulator.url}`
    : new URL(config.upstreamUrl).origin;
  return {
    url: `http://127.0.0.1:${address.port}`,
    upstream,
    simulator,
    accounts: mode?.local,
    ...mode?.readyFacts(config, upstream),
    secretDescription: secretSource.name,
    corsAllowedOrigins: origins,
    storeDescription: store?.description,
    grantsDescription: grants?.description,
    grantsCliExports: grants?.cliExports,
    close: async () => {
      await stopListening(server);
      store?.close();
      grants?.close();
      await simulator?.close();
      await mode?.local.close();
    },
  };
}

/** Starts the local broker (and the simulator when no upstream is configured). */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const env = options.env ?? process.env;
  const port = options.port ?? parsePort(env[LOCAL_ENV.port], LOCAL_ENV.port, DEFAULT_PORT);
  const account = simulatorAccount(env[LOCAL_ENV.simulatorGatewayAuth]);
  const simulator = await startSimulatorUnlessUpstream(env, account);
  let mode: AccountMode | undefined;
  let store: LocalTokenStore | undefined;
  let grants: LocalGrantsTable | undefined;
  try {
    mode = await startAccountMode(env, account, { tokenLifetimeSeconds: lifetimeOf(env) });
    const config = localConfig(env, port, simulator, mode);
    const secretSource = await localSecretSource(env, config.secretId, account);
    // Before the ready line: a secret that cannot work fails the start, not the first request.
    await checkSecret(secretSource);
    await mode?.checkSecrets();
    store = await openLocalTokenStore(env, config);
    grants = await openLocalGrantsTable(env, config, store);
    return await serve(options, { config, port, simulator, mode, secretSource, store, grants });
  } catch (error) {
    store?.close();
    grants?.close();
    await simulator?.close();
    await mode?.local.close();
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

/**
 * Composition root: builds the broker's collaborators from a config. Shared
 * by the Lambda entry and the local server, which differ only in where the
 * secret comes from.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAccountRouter } from './account-router.ts';
import { ANY_PRODUCT, DEFAULT_ACCOUNT, routedAccounts, routesOf } from './accounts.ts';
import { auditKeyOf, auditKeyOfStore } from './audit.ts';
import type { Broker } from './broker.ts';
import type { BrokerConfig } from './config.ts';
import { createSecretCache, type SecretSource } from './credentials.ts';
import { ConfigurationError } from './errors.ts';
import { createHandler } from './handler.ts';
import { createLogger, type Logger, loggerWith } from './log.ts';
import { createEmfMetrics, type Metrics } from './metrics.ts';
import {
  type AccountChain,
  type AccountChainContext,
  createAccountChain,
  recordCircuit,
  type SharedStore,
} from './runtime-account.ts';
import { grantSource } from './runtime-grants.ts';
import { deriveStoreKeys } from './store/token-crypto.ts';
import { createTokenCache, type TokenCache } from './token-cache.ts';
import type { HttpTransport } from './upstream/http-transport.ts';

export { AFTER_LOGIN_STORE_MS } from './runtime-account.ts';

/** Collaborators that a deployment may replace. */
export interface RuntimeOverrides {
  /** Where the secret string of the account `default` (`SECRET_ID`) comes from. */
  readonly secretSource: SecretSource;
  /**
   * Where the secret of each other routed account (`UPSTREAM_ACCOUNTS`)
   * comes from, by secret id. Required when a route names such an account.
   * The Lambda entry passes the coalescing Secrets Manager reader's `source`.
   * @default none
   */
  readonly secretSourceOf?: (secretId: string) => SecretSource;
  /**
   * Let an account secret's `upstreamUrl` be plain http on loopback (the
   * local simulator); Lambda never sets it.
   * @default false
   */
  readonly allowLoopbackHttp?: boolean;
  /**
   * Logger.
   * @default a JSON-lines logger on stdout at the configured level
   */
  readonly logger?: Logger;
  /**
   * Clock, epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Where metrics go.
   * @default CloudWatch EMF lines on stdout
   */
  readonly metrics?: Metrics;
  /**
   * How upstream requests are sent.
   * @default node:https with keep-alive
   */
  readonly transport?: HttpTransport;
  /**
   * Random source of backoff jitter, in [0, 1).
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * Waits between upstream retries.
   * @default node:timers/promises setTimeout
   */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * The fleet token store (L2): the DynamoDB client and where its key secret
   * comes from. Required when `config.tokenTable` is set; ignored otherwise.
   * The Lambda entry passes `createDynamoDbClient()` and the coalescing
   * Secrets Manager reader's source for `config.tokenStoreKeySecretId`.
   */
  readonly tokenStore?: {
    readonly client: DynamoDBClient;
    readonly keySource: SecretSource;
  };
  /**
   * The grants directory's DynamoDB client. Required when `config.grantsTable`
   * is set; ignored otherwise. Pass the token store's client, so that both
   * read in one BatchGetItem.
   */
  readonly grantsDirectory?: { readonly client: DynamoDBClient };
}

/** The wired broker and its handler. */
export interface Runtime {
  /** The use case. */
  readonly broker: Broker;
  /** The middy-wrapped Lambda handler. */
  readonly handler: ReturnType<typeof createHandler>;
  /** The logger everything writes to. */
  readonly logger: Logger;
  /** The token cache, for its size (memory tests). */
  readonly cache: TokenCache;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  delay(ms, undefined, signal ? { signal } : {}).then(() => undefined);

/** The fleet store's client, table and key cache, or undefined without `config.tokenTable`. */
function tokenStoreOf(
  config: BrokerConfig,
  overrides: RuntimeOverrides,
  secretCache: Omit<Parameters<typeof createSecretCache>[0], 'source' | 'parse' | 'label'>,
): SharedStore | undefined {
  const { tokenTable } = config;
  const { tokenStore } = overrides;
  if (tokenTable === undefined) return undefined;
  if (tokenStore === undefined) {
    throw new ConfigurationError(
      'TOKEN_TABLE is set, but this runtime was given no token store client and key source',
    );
  }
  return {
    client: tokenStore.client,
    tableName: tokenTable,
    // Read with the credentials, in one Secrets Manager round trip at cold start.
    keys: createSecretCache({
      ...secretCache,
      source: tokenStore.keySource,
      parse: deriveStoreKeys,
      label: 'the token store key',
    }),
  };
}

/**
 * Wires the broker and handler for `config`. Performs no I/O.
 * @throws ConfigurationError when `config.tokenTable` is set and
 *   `overrides.tokenStore` is not, or a routed named account has no `overrides.secretSourceOf`.
 * @example
 * const { handler } = createRuntime(loadConfig(process.env), { secretSource });
 */
export function createRuntime(config: BrokerConfig, overrides: RuntimeOverrides): Runtime {
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, now });
  const recorder = overrides.metrics ?? createEmfMetrics({ now });
  const store = tokenStoreOf(config, overrides, {
    ttlSeconds: config.secretCacheSeconds,
    maxStaleSeconds: config.secretMaxStaleSeconds,
    now,
    logger,
    metrics: recorder,
  });
  const cache = createTokenCache({
    maxEntries: config.tokenCacheMaxEntries,
    maxBytes: config.tokenCacheMaxBytes,
  });
  const context: AccountChainContext = {
    config,
    now,
    logger,
    cache,
    store,
    transport: overrides.transport,
    random: overrides.random,
    sleep: overrides.sleep ?? defaultSleep,
    allowLoopbackHttp: overrides.allowLoopbackHttp ?? false,
  };
  const chains = accountChains(context, overrides, recorder);
  const [first] = [...chains.values()] as [AccountChain];
  // Each breaker's state closes every request's metrics, so an alarm sees
  // an open circuit even when no request reaches the upstream.
  const metrics: Metrics = {
    add: recorder.add,
    flush(functionName) {
      for (const chain of chains.values()) recordCircuit(chain);
      recorder.flush(functionName);
    },
  };
  // One account serving every product needs no router; any other route does (NO_ACCOUNT_ROUTE).
  const routes = routesOf(config);
  const catchAll = Object.keys(routes).length === 1 && routes[ANY_PRODUCT] !== undefined;
  const broker = chains.size === 1 && catchAll ? first.broker : routerOf(chains, routes, logger);
  let ready: Promise<unknown> | undefined;
  const handler = createHandler({
    broker,
    logger,
    maxDevicesPerRequest: config.maxDevicesPerRequest,
    grantSource: grantSource(config, overrides, {
      now,
      logger,
      metrics,
      // The store's read waits for each account's credentials and the key,
      // which only a cold container lacks: asked for once, as the router warms.
      ...(store && {
        readAfter: () =>
          (ready ??= Promise.allSettled([...chains.values()].map((c) => c.account.current()))),
      }),
    }),
    groupsClaim: config.groupsClaim,
    fingerprintKey: store
      ? () => store.keys.get().then(auditKeyOfStore)
      : () => firstReadable([...chains.values()]).then(auditKeyOf),
    allowedProductKeys: config.allowedProductKeys,
    corsAllowedOrigins: config.corsAllowedOrigins,
    metrics,
    now,
  });
  return { broker, handler, logger, cache };
}

/**
 * A chain per routed account, by name. With one account it records and
 * logs as the function does; with several, under the account's name.
 */
function accountChains(
  context: AccountChainContext,
  overrides: RuntimeOverrides,
  recorder: Metrics,
): ReadonlyMap<string, AccountChain> {
  const routed = routedAccounts(context.config);
  const several = routed.size > 1;
  const chains = new Map<string, AccountChain>();
  for (const [name, secretId] of routed) {
    const own = several
      ? { ...context, logger: loggerWith(context.logger, { account: name }) }
      : context;
    chains.set(
      name,
      createAccountChain(own, {
        name,
        // One account's log lines read as they always have.
        label: several
          ? `the developer credentials of account ${name}`
          : 'the developer credentials',
        source: secretSourceOf(overrides, name, secretId),
        metrics: several ? (recorder.forAccount?.(name) ?? recorder) : recorder,
      }),
    );
  }
  return chains;
}

/**
 * The credentials of the first account, in route order, whose secret can be
 * read: the audit key without a store. One broken account must not take
 * every account's fingerprints away.
 */
async function firstReadable(chains: readonly AccountChain[]) {
  let failure: unknown;
  for (const chain of chains) {
    try {
      return await chain.credentials.get();
    } catch (error) {
      failure ??= error;
    }
  }
  throw failure;
}

/** Where an account's secret comes from: `secretSource` for `default`, `secretSourceOf` for the rest. */
function secretSourceOf(overrides: RuntimeOverrides, name: string, secretId: string): SecretSource {
  if (name === DEFAULT_ACCOUNT) return overrides.secretSource;
  if (overrides.secretSourceOf === undefined) {
    throw new ConfigurationError(
      `ACCOUNT_ROUTES routes products to the account ${name}, but this runtime was given no secretSourceOf`,
    );
  }
  return overrides.secretSourceOf(secretId);
}

/** The router over the accounts' brokers. */
function routerOf(
  chains: ReadonlyMap<string, AccountChain>,
  routes: ReturnType<typeof routesOf>,
  logger: Logger,
) {
  const accounts = new Map(
    [...chains].map(([name, chain]) => [
      name,
      { broker: chain.broker, warm: () => chain.account.current() },
    ]),
  );
  return createAccountRouter({ accounts, routes, logger });
}

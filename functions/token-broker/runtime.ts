/**
 * Composition root: builds the broker's collaborators from a config. Shared
 * by the Lambda entry and the local server, which differ only in where the
 * secret comes from.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { auditKeyOf, auditKeyOfStore } from './audit.ts';
import { type Broker, createBroker } from './broker.ts';
import type { BrokerConfig } from './config.ts';
import { createSecretCache, parseCredentials, type SecretSource } from './credentials.ts';
import { ConfigurationError } from './errors.ts';
import { createFleetTier } from './fleet/fleet-tier.ts';
import { createHandler } from './handler.ts';
import { createLogger, type Logger } from './log.ts';
import { createEmfMetrics, METRICS, type Metrics } from './metrics.ts';
import { batchGetOf, grantSource } from './runtime-grants.ts';
import { createDynamoDbTokenStore } from './store/dynamodb-token-store.ts';
import { deriveStoreKeys, type StoreKeys } from './store/token-crypto.ts';
import { createTokenCache, type TokenCache } from './token-cache.ts';
import type { TokenSource } from './token-source.ts';
import { createBatchedLogin } from './upstream/batched-login.ts';
import { createCircuitBreaker } from './upstream/circuit-breaker.ts';
import { createConcurrencyLimit } from './upstream/concurrency-limit.ts';
import type { HttpTransport } from './upstream/http-transport.ts';
import { createLoginClient } from './upstream/login-client.ts';
import { createResilientUpstream, RESILIENCE_DEFAULTS } from './upstream/resilient-upstream.ts';
import { createUpstreamAccount, type UpstreamAccount } from './upstream/upstream-account.ts';

/** Collaborators that a deployment may replace. */
export interface RuntimeOverrides {
  /** Where the secret string comes from. */
  readonly secretSource: SecretSource;
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

/** Once a token is in hand, the most its store write and release may take, ms (issue 20). */
export const AFTER_LOGIN_STORE_MS = 1000;

/** Builds the fleet tier around `inner`: the DynamoDB store, its key, and the settings. */
function fleetTier(
  config: BrokerConfig,
  overrides: RuntimeOverrides,
  parts: {
    readonly client: DynamoDBClient;
    readonly tableName: string;
    readonly inner: TokenSource;
    readonly account: UpstreamAccount;
    readonly keys: { get(): Promise<StoreKeys> };
    readonly now: () => number;
    readonly metrics: Metrics;
    readonly logger: Logger;
  },
): TokenSource {
  return createFleetTier({
    ...parts,
    storeFor: (keys) =>
      createDynamoDbTokenStore({
        client: parts.client,
        tableName: parts.tableName,
        encryptionKey: keys.encryptionKey,
        timeoutMs: config.tokenStoreTimeoutMs,
        batchGet: batchGetOf(parts.client),
      }),
    settings: {
      minValidityMs: config.minTokenValiditySeconds * 1000,
      refreshIntervalMs: config.tokenRefreshMinIntervalSeconds * 1000,
      leaseMs: config.tokenLeaseSeconds * 1000,
      loginReserveMs: config.upstreamTimeoutMs + RESILIENCE_DEFAULTS.safetyMarginMs,
      afterLoginStoreMs: AFTER_LOGIN_STORE_MS,
      sharedCircuit: config.sharedCircuit,
      circuitMaxOpenMs: config.circuitBreakerCooldownSeconds * 1000,
      budget: {
        perHour: config.loginBudgetPerHour,
        enforce: config.loginBudgetEnforce,
        principalPercent: config.loginBudgetPrincipalPercent,
        onStoreFault: config.loginBudgetOnStoreFault,
        batchSize: config.upstreamBatchSize,
      },
    },
    random: overrides.random ?? Math.random,
    sleep: overrides.sleep ?? defaultSleep,
  });
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
) {
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
 * @throws ConfigurationError when `config.tokenTable` is set and `overrides.tokenStore` is not.
 */
export function createRuntime(config: BrokerConfig, overrides: RuntimeOverrides): Runtime {
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, now });
  const recorder = overrides.metrics ?? createEmfMetrics({ now });
  const secretCache = {
    ttlSeconds: config.secretCacheSeconds,
    maxStaleSeconds: config.secretMaxStaleSeconds,
    now,
    logger,
    metrics: recorder,
  };
  const credentials = createSecretCache({
    ...secretCache,
    source: overrides.secretSource,
    parse: parseCredentials,
    label: 'the developer credentials',
  });
  const store = tokenStoreOf(config, overrides, secretCache);
  const breaker = createCircuitBreaker({
    threshold: config.circuitBreakerThreshold,
    cooldownMs: config.circuitBreakerCooldownSeconds * 1000,
    now,
  });
  // Per container: see circuit-breaker.ts; the fleet tier may share its openings.
  const account = createUpstreamAccount({
    credentials,
    breaker,
    limit: createConcurrencyLimit(config.upstreamMaxConcurrentLogins),
    ...(store === undefined ? {} : { readAlongside: store.keys.get }),
  });
  // The breaker's state closes every request's metrics, so an alarm sees
  // an open circuit even when no request reaches the upstream.
  const metrics: Metrics = {
    add: recorder.add,
    flush(functionName) {
      recorder.add(METRICS.circuitOpen, breaker.state() === 'closed' ? 0 : 1);
      recorder.flush(functionName);
    },
  };
  const upstream = createResilientUpstream({
    client: createLoginClient({
      baseUrl: config.upstreamUrl,
      timeoutMs: config.upstreamTimeoutMs,
      signing: { now },
      ...(overrides.transport ? { transport: overrides.transport } : {}),
    }),
    credentials: account.credentials,
    breaker: account.breaker,
    limit: account.limit,
    maxRetries: config.upstreamMaxRetries,
    timeoutMs: config.upstreamTimeoutMs,
    logger,
    now,
    ...(overrides.random ? { random: overrides.random } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
  });
  const cache = createTokenCache({
    maxEntries: config.tokenCacheMaxEntries,
    maxBytes: config.tokenCacheMaxBytes,
  });
  const batched = createBatchedLogin({
    account,
    upstream,
    batchSize: config.upstreamBatchSize,
    gatherMs: config.loginGatherMs,
    now,
    metrics,
  });
  const source =
    store === undefined
      ? batched
      : fleetTier(config, overrides, { ...store, inner: batched, account, now, metrics, logger });
  const broker = createBroker({
    account,
    source,
    cache,
    now,
    minValidityMs: config.minTokenValiditySeconds * 1000,
    refreshIntervalMs: config.tokenRefreshMinIntervalSeconds * 1000,
    metrics,
  });
  const handler = createHandler({
    broker,
    logger,
    maxDevicesPerRequest: config.maxDevicesPerRequest,
    grantSource: grantSource(config, overrides, { now, logger, metrics }),
    groupsClaim: config.groupsClaim,
    fingerprintKey: store
      ? () => store.keys.get().then(auditKeyOfStore)
      : () => credentials.get().then(auditKeyOf),
    allowedProductKeys: config.allowedProductKeys,
    corsAllowedOrigins: config.corsAllowedOrigins,
    metrics,
    now,
  });
  return { broker, handler, logger, cache };
}

/**
 * One upstream account's chain, as the composition root (runtime.ts) wires
 * it: the account's secret cache, breaker and login limit, its login client
 * and resilient upstream, its batched login, its fleet tier when the store
 * is on, and the broker over them. Every account gets its own chain; only
 * the L1 cache, the store and the logger are shared, and both caches key
 * tokens by the account's identity, so no account is served another's.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Broker, createBroker } from './broker.ts';
import type { BrokerConfig } from './config.ts';
import {
  type CredentialsProvider,
  createSecretCache,
  parseCredentials,
  type SecretSource,
} from './credentials.ts';
import { createFleetTier } from './fleet/fleet-tier.ts';
import type { Logger } from './log.ts';
import { METRICS, type Metrics } from './metrics.ts';
import { batchGetOf } from './runtime-grants.ts';
import { createDynamoDbTokenStore } from './store/dynamodb-token-store.ts';
import type { StoreKeys } from './store/token-crypto.ts';
import type { TokenCache } from './token-cache.ts';
import type { TokenSource } from './token-source.ts';
import { createBatchedLogin } from './upstream/batched-login.ts';
import { createCircuitBreaker } from './upstream/circuit-breaker.ts';
import { createConcurrencyLimit } from './upstream/concurrency-limit.ts';
import type { HttpTransport } from './upstream/http-transport.ts';
import { createLoginClient } from './upstream/login-client.ts';
import { createResilientUpstream, RESILIENCE_DEFAULTS } from './upstream/resilient-upstream.ts';
import { createUpstreamAccount, type UpstreamAccount } from './upstream/upstream-account.ts';

/** Once a token is in hand, the most its store write and release may take, ms (issue 20). */
export const AFTER_LOGIN_STORE_MS = 1000;

/** The fleet token store that every account's chain shares. */
export interface SharedStore {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly keys: { get(): Promise<StoreKeys> };
}

/** What every account's chain shares, and the injectable parts of runtime.ts. */
export interface AccountChainContext {
  readonly config: BrokerConfig;
  readonly now: () => number;
  readonly logger: Logger;
  readonly cache: TokenCache;
  readonly store: SharedStore | undefined;
  readonly transport?: HttpTransport | undefined;
  readonly random?: (() => number) | undefined;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Lets an account's secret name an http gateway on loopback (the local simulator). */
  readonly allowLoopbackHttp: boolean;
}

/** One account's wired chain. */
export interface AccountChain {
  /** The account: its name, credentials, breaker and limit. */
  readonly account: UpstreamAccount;
  /** The broker over its chain. */
  readonly broker: Broker;
  /** Its metrics view (the `Account` dimension with several accounts). */
  readonly metrics: Metrics;
  /** Its credentials cache. */
  readonly credentials: CredentialsProvider;
}

/**
 * Wires one account's chain on `source`, recording to `metrics`.
 * @example
 * const chain = createAccountChain(context, { name: 'cn', source, metrics, label: 'cn' });
 * await chain.broker.getTokens([{ productKey: 'pk', deviceName: 'cam1' }]);
 */
export function createAccountChain(
  context: AccountChainContext,
  part: {
    readonly name: string;
    readonly source: SecretSource;
    readonly metrics: Metrics;
    /** What its secret is called in log lines. */
    readonly label: string;
  },
): AccountChain {
  const { config, now, logger, store, metrics } = { ...context, metrics: part.metrics };
  const credentials = createSecretCache({
    ttlSeconds: config.secretCacheSeconds,
    maxStaleSeconds: config.secretMaxStaleSeconds,
    now,
    logger,
    metrics,
    source: part.source,
    parse: (text, name) => parseCredentials(text, name, context.allowLoopbackHttp),
    label: part.label,
  });
  // Per container: see circuit-breaker.ts; the fleet tier may share its openings.
  const account = createUpstreamAccount({
    name: part.name,
    credentials,
    breaker: createCircuitBreaker({
      threshold: config.circuitBreakerThreshold,
      cooldownMs: config.circuitBreakerCooldownSeconds * 1000,
      now,
    }),
    limit: createConcurrencyLimit(config.upstreamMaxConcurrentLogins),
    ...(store === undefined ? {} : { readAlongside: store.keys.get }),
  });
  const batched = createBatchedLogin({
    account,
    upstream: resilientUpstream(context, account),
    batchSize: config.upstreamBatchSize,
    gatherMs: config.loginGatherMs,
    now,
    metrics,
  });
  const source =
    store === undefined ? batched : fleetTier(context, store, { inner: batched, account, metrics });
  const broker = createBroker({
    account,
    source,
    cache: context.cache,
    now,
    minValidityMs: config.minTokenValiditySeconds * 1000,
    refreshIntervalMs: config.tokenRefreshMinIntervalSeconds * 1000,
    metrics,
  });
  return { account, broker, metrics, credentials };
}

/** The account's login client behind its breaker, limit and retries. */
function resilientUpstream(context: AccountChainContext, account: UpstreamAccount) {
  const { config, now, logger } = context;
  return createResilientUpstream({
    client: createLoginClient({
      baseUrl: config.upstreamUrl,
      timeoutMs: config.upstreamTimeoutMs,
      signing: { now },
      ...(context.transport ? { transport: context.transport } : {}),
    }),
    credentials: account.credentials,
    breaker: account.breaker,
    limit: account.limit,
    maxRetries: config.upstreamMaxRetries,
    timeoutMs: config.upstreamTimeoutMs,
    logger,
    now,
    ...(context.random ? { random: context.random } : {}),
    sleep: context.sleep,
  });
}

/** The fleet tier around `inner`: the shared DynamoDB store, its key, and the settings. */
function fleetTier(
  context: AccountChainContext,
  store: SharedStore,
  parts: {
    readonly inner: TokenSource;
    readonly account: UpstreamAccount;
    readonly metrics: Metrics;
  },
): TokenSource {
  const { config } = context;
  return createFleetTier({
    ...store,
    ...parts,
    now: context.now,
    logger: context.logger,
    storeFor: (keys) =>
      createDynamoDbTokenStore({
        client: store.client,
        tableName: store.tableName,
        encryptionKey: keys.encryptionKey,
        timeoutMs: config.tokenStoreTimeoutMs,
        batchGet: batchGetOf(store.client),
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
    random: context.random ?? Math.random,
    sleep: context.sleep,
  });
}

/** The breaker's state, recorded as each request's metrics close, so an alarm sees an open circuit without traffic. */
export const recordCircuit = (chain: AccountChain): void =>
  chain.metrics.add(METRICS.circuitOpen, chain.account.breaker.state() === 'closed' ? 0 : 1);

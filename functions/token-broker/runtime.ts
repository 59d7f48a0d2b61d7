/**
 * Composition root: builds the broker's collaborators from a config. Shared
 * by the Lambda entry and the local server, which differ only in where the
 * secret comes from.
 */
import { type Broker, createBroker } from './broker.ts';
import type { BrokerConfig } from './config.ts';
import { createCredentialsProvider, type SecretSource } from './credentials.ts';
import { createHandler } from './handler.ts';
import { createLogger, type Logger } from './log.ts';
import { createEmfMetrics, METRICS, type Metrics } from './metrics.ts';
import { createTokenCache, type TokenCache } from './token-cache.ts';
import { createCircuitBreaker } from './upstream/circuit-breaker.ts';
import { createConcurrencyLimit } from './upstream/concurrency-limit.ts';
import type { HttpTransport } from './upstream/http-transport.ts';
import { createLoginClient } from './upstream/login-client.ts';
import { createResilientUpstream } from './upstream/resilient-upstream.ts';

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

/** Wires the broker and handler for `config`. Performs no I/O. */
export function createRuntime(config: BrokerConfig, overrides: RuntimeOverrides): Runtime {
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, now });
  const recorder = overrides.metrics ?? createEmfMetrics({ now });
  const credentials = createCredentialsProvider({
    source: overrides.secretSource,
    ttlSeconds: config.secretCacheSeconds,
    maxStaleSeconds: config.secretMaxStaleSeconds,
    now,
    logger,
    metrics: recorder,
  });
  // Per container: see circuit-breaker.ts.
  const breaker = createCircuitBreaker({
    threshold: config.circuitBreakerThreshold,
    cooldownMs: config.circuitBreakerCooldownSeconds * 1000,
    now,
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
    credentials,
    breaker,
    limit: createConcurrencyLimit(config.upstreamMaxConcurrentLogins),
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
  const broker = createBroker({
    credentials,
    upstream,
    cache,
    now,
    minTokenValiditySeconds: config.minTokenValiditySeconds,
    upstreamBatchSize: config.upstreamBatchSize,
    loginGatherMs: config.loginGatherMs,
    metrics,
  });
  const handler = createHandler({
    broker,
    logger,
    maxDevicesPerRequest: config.maxDevicesPerRequest,
    deviceScopeClaim: config.deviceScopeClaim,
    allowedProductKeys: config.allowedProductKeys,
    corsAllowedOrigins: config.corsAllowedOrigins,
    metrics,
    now,
  });
  return { broker, handler, logger, cache };
}

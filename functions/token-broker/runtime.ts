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
import { createTokenCache } from './token-cache.ts';
import { createLoginClient } from './upstream/login-client.ts';

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
   * The fetch used for the upstream.
   * @default globalThis.fetch
   */
  readonly fetch?: typeof fetch;
}

/** The wired broker and its handler. */
export interface Runtime {
  /** The use case. */
  readonly broker: Broker;
  /** The middy-wrapped Lambda handler. */
  readonly handler: ReturnType<typeof createHandler>;
  /** The logger everything writes to. */
  readonly logger: Logger;
}

/** Wires the broker and handler for `config`. Performs no I/O. */
export function createRuntime(config: BrokerConfig, overrides: RuntimeOverrides): Runtime {
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, now });
  const broker = createBroker({
    credentials: createCredentialsProvider({
      source: overrides.secretSource,
      ttlSeconds: config.secretCacheSeconds,
      now,
      logger,
    }),
    upstream: createLoginClient({
      baseUrl: config.upstreamUrl,
      timeoutMs: config.upstreamTimeoutMs,
      ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    }),
    cache: createTokenCache(config.tokenCacheMaxEntries),
    now,
    minTokenValiditySeconds: config.minTokenValiditySeconds,
    upstreamBatchSize: config.upstreamBatchSize,
  });
  const handler = createHandler({
    broker,
    logger,
    maxDevicesPerRequest: config.maxDevicesPerRequest,
    deviceScopeClaim: config.deviceScopeClaim,
    allowedProductKeys: config.allowedProductKeys,
    corsAllowedOrigins: config.corsAllowedOrigins,
    now,
  });
  return { broker, handler, logger };
}

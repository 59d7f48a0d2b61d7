/**
 * A broker wired as the runtime wires it without a store, from the parts a
 * unit test fakes: credentials, a login client, a cache and a clock.
 */
import { type Broker, createBroker } from '../../functions/token-broker/broker.ts';
import type { CredentialsProvider } from '../../functions/token-broker/credentials.ts';
import type { Metrics } from '../../functions/token-broker/metrics.ts';
import type { TokenCache } from '../../functions/token-broker/token-cache.ts';
import { createBatchedLogin } from '../../functions/token-broker/upstream/batched-login.ts';
import { createCircuitBreaker } from '../../functions/token-broker/upstream/circuit-breaker.ts';
import { createConcurrencyLimit } from '../../functions/token-broker/upstream/concurrency-limit.ts';
import type { LoginClient } from '../../functions/token-broker/upstream/login-client.ts';
import { createUpstreamAccount } from '../../functions/token-broker/upstream/upstream-account.ts';

/** The parts of {@link brokerFor}. */
export interface TestBrokerParts {
  readonly credentials: CredentialsProvider;
  readonly upstream: LoginClient;
  readonly cache: TokenCache;
  readonly now: () => number;
  readonly minTokenValiditySeconds: number;
  readonly upstreamBatchSize: number;
  readonly loginGatherMs?: number;
  readonly refreshIntervalSeconds?: number;
  readonly metrics?: Metrics;
}

/** The broker of `parts`, with one account around the fake credentials. */
export function brokerFor(parts: TestBrokerParts): Broker {
  const account = createUpstreamAccount({
    credentials: parts.credentials,
    breaker: createCircuitBreaker({ threshold: 1000, cooldownMs: 1000, now: parts.now }),
    limit: createConcurrencyLimit(1000),
  });
  const source = createBatchedLogin({
    account,
    upstream: parts.upstream,
    batchSize: parts.upstreamBatchSize,
    now: parts.now,
    ...(parts.loginGatherMs === undefined ? {} : { gatherMs: parts.loginGatherMs }),
    ...(parts.metrics === undefined ? {} : { metrics: parts.metrics }),
  });
  return createBroker({
    account,
    source,
    cache: parts.cache,
    now: parts.now,
    minValidityMs: parts.minTokenValiditySeconds * 1000,
    refreshIntervalMs: (parts.refreshIntervalSeconds ?? 30) * 1000,
    ...(parts.metrics === undefined ? {} : { metrics: parts.metrics }),
  });
}

/**
 * A real handler wired to fakes of the upstream and credentials, capturing logs.
 */

import type { CredentialsProvider } from '../../functions/token-broker/credentials.ts';
import { createHandler } from '../../functions/token-broker/handler.ts';
import { createTokenCache } from '../../functions/token-broker/token-cache.ts';
import type { LoginClient } from '../../functions/token-broker/upstream/login-client.ts';
import { brokerFor } from './broker.ts';
import { captureLogger, fakeCredentials, fakeLoginClient } from './fakes.ts';

/** Options of {@link handlerHarness}. */
export interface HarnessOptions {
  readonly upstream?: LoginClient;
  readonly credentials?: CredentialsProvider;
  readonly maxDevicesPerRequest?: number;
}

/** Builds the handler over fakes; returns it with its fakes and captured log lines. */
export function handlerHarness(options: HarnessOptions = {}) {
  const logger = captureLogger();
  const upstream = options.upstream ?? fakeLoginClient();
  const broker = brokerFor({
    credentials: options.credentials ?? fakeCredentials(),
    upstream,
    cache: createTokenCache(100),
    now: Date.now,
    minTokenValiditySeconds: 300,
    upstreamBatchSize: 20,
  });
  const handler = createHandler({
    broker,
    logger,
    maxDevicesPerRequest: options.maxDevicesPerRequest ?? 50,
  });
  return { handler, upstream, logger };
}

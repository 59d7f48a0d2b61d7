/**
 * The composition root's part for grants: the claim source, and the
 * directory around it when `GRANTS_TABLE` is set, reading through the same
 * coalescing BatchGetItem as the token store.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BrokerConfig } from './config.ts';
import { ConfigurationError } from './errors.ts';
import { createDirectoryGrantSource } from './grants/directory-grant-source.ts';
import { createClaimGrantSource, type GrantSource } from './grants/grant-source.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import { type BatchGet, createBatchGet } from './store/batch-get.ts';

// One coalescing reader per client: the store and the directory share it.
const readers = new WeakMap<DynamoDBClient, BatchGet>();
/** The coalescing reader of `client`. */
export const batchGetOf = (client: DynamoDBClient): BatchGet => {
  let reader = readers.get(client);
  if (reader === undefined) {
    reader = createBatchGet(client);
    readers.set(client, reader);
  }
  return reader;
};

/** Where callers' grants come from: the claim, and the directory with `config.grantsTable`. */
export function grantSource(
  config: BrokerConfig,
  overrides: { readonly grantsDirectory?: { readonly client: DynamoDBClient } },
  parts: {
    readonly now: () => number;
    readonly logger: Logger;
    readonly metrics: Metrics;
    /** What the token store's read waits for; see `DirectoryGrantSourceOptions.readAfter`. */
    readonly readAfter?: () => Promise<unknown>;
  },
): GrantSource {
  const claims = createClaimGrantSource({
    claimName: config.deviceScopeClaim,
    logger: parts.logger,
  });
  const { grantsTable } = config;
  if (grantsTable === undefined) return claims;
  const client = overrides.grantsDirectory?.client;
  if (grantsTable === config.tokenTable) {
    // Reads of one table are joined under one key name: the two must differ.
    throw new ConfigurationError('GRANTS_TABLE must name another table than TOKEN_TABLE');
  }
  if (client === undefined) {
    throw new ConfigurationError(
      'GRANTS_TABLE is set, but this runtime was given no DynamoDB client for it',
    );
  }
  return createDirectoryGrantSource({
    ...parts,
    batchGet: batchGetOf(client),
    table: grantsTable,
    claims,
    cacheMs: config.grantsCacheSeconds * 1000,
    timeoutMs: config.tokenStoreTimeoutMs,
  });
}

/**
 * The DynamoDB client of the token store: short time limits and at most one
 * retry, so the store, a cache, can add only a bounded delay.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { boundAnswerBytes } from './bounded-answers.ts';

/**
 * Time limits of one DynamoDB attempt, ms. The SDK sets none by default; a
 * cache that can hang is worse than no cache. Each store call also has its
 * own deadline, which grows with its items (dynamodb-calls.ts): the
 * per-attempt limit must not cut a queued request short of it, or a lease
 * that landed is sent again and looks refused, and a read is lost.
 */
export const DYNAMODB_TIMEOUTS = { connectionTimeout: 300, requestTimeout: 5000 } as const;

/**
 * Creates the DynamoDB client of the store: short time limits, at most
 * one retry (`maxAttempts: 2`), and answers bounded in bytes (bounded-answers.ts). `config.endpoint` (or the SDK's own
 * `AWS_ENDPOINT_URL_DYNAMODB`) points it at a local engine.
 */
export function createDynamoDbClient(
  timeouts: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
  } = DYNAMODB_TIMEOUTS,
  config: DynamoDBClientConfig = {},
): DynamoDBClient {
  // Without throwOnRequestTimeout the SDK only warns when requestTimeout passes.
  const client = new DynamoDBClient({
    maxAttempts: 2,
    ...config,
    requestHandler: { ...timeouts, throwOnRequestTimeout: true },
  });
  boundAnswerBytes(client);
  return client;
}

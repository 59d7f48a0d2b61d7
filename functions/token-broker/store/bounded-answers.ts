/**
 * A bound on the bytes of one DynamoDB answer. The store's answers are a
 * few tokens of at most 8 KiB each, so anything near the bound is a broken
 * or hostile endpoint; reading it whole would cost the container its
 * memory (a 64 MiB answer took one from 112 to 534 MB, issue 20).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Most bytes read from one DynamoDB answer: well above a 100-key BatchGetItem of 8 KiB tokens. */
export const MAX_STORE_ANSWER_BYTES = 4 * 1024 * 1024;

/** A DynamoDB answer over {@link MAX_STORE_ANSWER_BYTES}: the store call fails, as on any store fault. */
export class StoreAnswerTooLargeError extends Error {
  override readonly name = 'StoreAnswerTooLarge';

  constructor(max: number) {
    super(`A DynamoDB answer was over ${max} bytes; the rest was not read`);
  }
}

interface RawResponse {
  headers?: Record<string, string | undefined>;
  body?: unknown;
}

const isStream = (body: unknown): body is NodeJS.ReadableStream & { destroy(): void } =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as { pipe?: unknown }).pipe === 'function';

/** `body`, failing once more than `max` bytes went through. */
function limited(body: NodeJS.ReadableStream & { destroy(): void }, max: number) {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen <= max) return done(null, chunk);
      body.destroy();
      done(new StoreAnswerTooLargeError(max));
    },
  });
  body.on('error', (error) => counter.destroy(error));
  return body.pipe(counter);
}

/**
 * Makes `client` refuse answers over `max` bytes: at once when the length
 * is declared, else as soon as the count passes it. Runs below the SDK's
 * deserializer, so nothing over the bound is ever buffered.
 * @example
 * boundAnswerBytes(createDynamoDbClient());
 */
export function boundAnswerBytes(client: DynamoDBClient, max = MAX_STORE_ANSWER_BYTES): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const response = out.response as RawResponse;
      if (!isStream(response.body)) return out;
      if (Number(response.headers?.['content-length'] ?? 0) > max) {
        response.body.destroy();
        throw new StoreAnswerTooLargeError(max);
      }
      response.body = limited(response.body, max);
      return out;
    },
    { step: 'deserialize', name: 'boundStoreAnswerBytes', priority: 'low' },
  );
}

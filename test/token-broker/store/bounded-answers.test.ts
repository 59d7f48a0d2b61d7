/**
 * Issue 20 #9: a store endpoint answering a huge body fails the call after
 * at most the bound, with a typed error, instead of being read whole. Real
 * SDK client against a loopback endpoint.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_STORE_ANSWER_BYTES } from '../../../functions/token-broker/store/bounded-answers.ts';
import { createDynamoDbClient } from '../../../functions/token-broker/store/dynamodb-client.ts';

const HUGE = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x20);

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** An endpoint answering every request with `HUGE` bytes of JSON whitespace, counting what it got written. */
async function hugeEndpoint(declareLength: boolean) {
  const sent = { bytes: 0 };
  server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/x-amz-json-1.0',
      ...(declareLength ? { 'content-length': String(HUGE + 2) } : {}),
    });
    res.write('{');
    const pump = () => {
      while (sent.bytes < HUGE) {
        sent.bytes += CHUNK.length;
        if (!res.write(CHUNK)) return void res.once('drain', pump);
      }
      res.end('}');
    };
    res.on('close', () => {
      sent.bytes = Math.min(sent.bytes, HUGE);
    });
    pump();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = createDynamoDbClient(undefined, {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret-key' },
    maxAttempts: 1,
  });
  const get = () => client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } }));
  return { sent, get };
}

describe('a store answer over the bound', () => {
  it.each([
    ['declares its length', true],
    ['is chunked', false],
  ])('fails when it %s, without reading it whole', async (_, declareLength) => {
    // Prepare
    const { sent, get } = await hugeEndpoint(declareLength);
    // Act
    const error = await get().then(
      () => new Error('answered'),
      (e: unknown) => e as Error,
    );
    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StoreAnswerTooLarge');
    expect(sent.bytes).toBeLessThan(HUGE);
    expect(MAX_STORE_ANSWER_BYTES).toBe(4 * 1024 * 1024);
  });
});

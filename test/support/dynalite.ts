/**
 * A real DynamoDB engine for tests: dynalite, in memory, on an ephemeral
 * loopback port, with the store's table created through the real SDK.
 * Requests are counted by operation at the server, so call-count budgets
 * measure what went over the wire.
 */
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../functions/token-broker/store/dynamodb-client.ts';
import { ensureTable } from '../../functions/token-broker/store/ensure-table.ts';

type DynaliteFactory = (options: {
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => Server;

// dynalite is CommonJS without type declarations.
const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;

/** The table name the tests use. */
export const TEST_TABLE = 'visual-token-broker-tokens';

/** SDK settings for a loopback endpoint: dummy region and static credentials. */
export const sdkConfigFor = (endpoint: string) => ({
  endpoint,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret-key' },
});

/** A running dynalite. */
export interface Dynalite {
  /** Endpoint URL for the SDK. */
  readonly endpoint: string;
  /** A client of the store's kind (short time limits, one retry) pointed at it. */
  readonly client: DynamoDBClient;
  /** HTTP requests received per operation (`BatchGetItem`, `UpdateItem`, …). */
  readonly requests: Map<string, number>;
  /** A new, independent client, as another container would have. */
  newClient(): DynamoDBClient;
  /** Stops the engine (the data is lost); idempotent. */
  close(): Promise<void>;
}

/**
 * The DynamoDB requests `act` made of `engine`, by operation, as the engine
 * received them; operations it did not use are left out.
 * @example
 * expect(await requestsDuring(engine, () => ask())).toEqual({ BatchGetItem: 1 });
 */
export async function requestsDuring(
  engine: Pick<Dynalite, 'requests'>,
  act: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const before = new Map(engine.requests);
  await act();
  const delta: Record<string, number> = {};
  for (const [op, n] of engine.requests) {
    const d = n - (before.get(op) ?? 0);
    if (d > 0) delta[op] = d;
  }
  return delta;
}

/** Starts dynalite on 127.0.0.1, port 0, and creates {@link TEST_TABLE}. */
export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const requests = new Map<string, number>();
  server.on('request', (req: { headers: Record<string, string | undefined> }) => {
    const op = req.headers['x-amz-target']?.split('.')[1] ?? 'unknown';
    requests.set(op, (requests.get(op) ?? 0) + 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const newClient = () =>
    createDynamoDbClient({ connectionTimeout: 1000, requestTimeout: 2000 }, sdkConfigFor(endpoint));
  const client = newClient();
  await ensureTable(client, TEST_TABLE);
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    client,
    requests,
    newClient,
    close() {
      closed ??= new Promise<void>((resolve) => {
        client.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

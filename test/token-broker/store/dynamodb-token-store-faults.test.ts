/**
 * Store faults against real engines, through the real SDK: a stopped
 * dynalite, a socket that never answers, and an endpoint that throttles.
 * Every call must end, soon, in a TokenStoreError with a reason for logs.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../../functions/token-broker/store/dynamodb-client.ts';
import { createDynamoDbTokenStore } from '../../../functions/token-broker/store/dynamodb-token-store.ts';
import { deriveStoreKeys } from '../../../functions/token-broker/store/token-crypto.ts';
import type { TokenStore } from '../../../functions/token-broker/store/token-store.ts';
import { TokenStoreError } from '../../../functions/token-broker/store/token-store-errors.ts';
import { sdkConfigFor, startDynalite, TEST_TABLE } from '../../support/dynalite.ts';
import {
  type FaultServer,
  startHangingServer,
  startThrottlingServer,
} from '../../support/store-fault-servers.ts';

const T = 1_795_305_600_000;
const keys = deriveStoreKeys(randomBytes(32).toString('base64url'));

const storeAt = (
  endpoint: string,
  timeoutMs: number,
  timeouts = { connectionTimeout: 300, requestTimeout: 500 },
) =>
  createDynamoDbTokenStore({
    client: createDynamoDbClient(timeouts, sdkConfigFor(endpoint)),
    tableName: TEST_TABLE,
    encryptionKey: keys.encryptionKey,
    timeoutMs,
  });

/** Every method of the port, called once. */
const everyCall = (store: TokenStore) => ({
  read: () => store.read('acct', ['p/a'], { now: T }),
  lease: () =>
    store.lease(
      'acct',
      ['p/a'],
      { mode: 'miss', holder: 'h', leaseMs: 1000, minValidUntil: T },
      { now: T },
    ),
  write: () =>
    store.write('acct', [{ deviceId: 'p/a', token: { visualToken: 'x', expiresAt: T } }], 'h', {
      now: T,
    }),
  release: () => store.release('acct', ['p/a'], 'h', { now: T }),
  openCircuit: () => store.openCircuit('acct', T, { now: T }),
  countLogins: () => store.countLogins('acct', 1, { now: T }),
  reserveLogins: () => store.reserveLogins('acct', { logins: 1, accountMax: 10 }, { now: T }),
});

const failure = async (promise: Promise<unknown>) => {
  const started = performance.now();
  // Per-device calls (lease, write) report their fault instead of rejecting.
  const error = await promise.then(
    (value) => (value as { fault?: unknown } | undefined)?.fault,
    (e: unknown) => e,
  );
  return { error, elapsed: performance.now() - started };
};

describe('a stopped engine', () => {
  let endpoint: string;
  beforeAll(async () => {
    const engine = await startDynalite();
    endpoint = engine.endpoint;
    await engine.close();
  });

  it.each(Object.keys(everyCall(storeAt('http://127.0.0.1:1', 1))))(
    'fails when %s finds the engine stopped, with TOKEN_STORE_UNAVAILABLE and reason ECONNREFUSED',
    async (method) => {
      // Prepare
      const call = everyCall(storeAt(endpoint, 2000))[method as keyof ReturnType<typeof everyCall>];
      // Act
      const { error } = await failure(call());
      // Assess
      expect(error).toBeInstanceOf(TokenStoreError);
      expect(error).toMatchObject({ code: 'TOKEN_STORE_UNAVAILABLE', reason: 'ECONNREFUSED' });
      expect((error as Error).cause).toBeDefined();
    },
  );
});

describe('an engine that accepts and never answers', () => {
  let server: FaultServer;
  let endpoint: string;
  beforeAll(async () => {
    server = await startHangingServer();
    endpoint = server.endpoint;
  });
  afterAll(() => server.close());

  it('fails when the store deadline passes, within that deadline, with reason DEADLINE_EXCEEDED', async () => {
    // Prepare
    const deadlineMs = 300;
    const store = storeAt(endpoint, deadlineMs, { connectionTimeout: 1000, requestTimeout: 5000 });
    // Act
    const { error, elapsed } = await failure(store.read('acct', ['p/a'], { now: T }));
    // Assess
    expect(error).toMatchObject({ code: 'TOKEN_STORE_UNAVAILABLE', reason: 'DEADLINE_EXCEEDED' });
    expect(elapsed).toBeGreaterThanOrEqual(deadlineMs - 5);
    expect(elapsed).toBeLessThan(deadlineMs + 400);
  });

  it('fails when the request time limit passes twice, after exactly 2 attempts', async () => {
    // Prepare
    const store = storeAt(endpoint, 10_000, { connectionTimeout: 1000, requestTimeout: 150 });
    const before = server.count();
    // Act
    const { error, elapsed } = await failure(store.read('acct', ['p/a'], { now: T }));
    // Assess
    expect(error).toBeInstanceOf(TokenStoreError);
    expect((error as TokenStoreError).reason).toBe('ETIMEDOUT');
    expect(server.count() - before).toBe(2);
    expect(elapsed).toBeLessThan(2000);
  });

  it('fails when the caller aborts first, with reason ABORTED', async () => {
    // Prepare
    const store = storeAt(endpoint, 5000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    // Act
    const { error, elapsed } = await failure(
      store.read('acct', ['p/a'], { now: T, signal: controller.signal }),
    );
    // Assess
    expect(error).toMatchObject({ code: 'TOKEN_STORE_UNAVAILABLE', reason: 'ABORTED' });
    expect(elapsed).toBeLessThan(1000);
  });
});

describe('an engine that throttles', () => {
  let server: FaultServer;
  let endpoint: string;
  beforeAll(async () => {
    server = await startThrottlingServer();
    endpoint = server.endpoint;
  });
  afterAll(() => server.close());

  it('fails when throttled twice, after one retry, with the SDK error name as reason', async () => {
    // Prepare
    const store = storeAt(endpoint, 5000);
    const before = server.count();
    // Act
    const { error } = await failure(store.countLogins('acct', 1, { now: T }));
    // Assess
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(error).toMatchObject({
      code: 'TOKEN_STORE_UNAVAILABLE',
      reason: 'ProvisionedThroughputExceededException',
    });
    expect(server.count() - before).toBe(2);
  });
});

/**
 * Local set-up of the store: the per-checkout key file and the table, both
 * created once however many local processes start together.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevStoreKey } from '../../../functions/token-broker/store/dev-store-key.ts';
import { createDynamoDbClient } from '../../../functions/token-broker/store/dynamodb-client.ts';
import { ensureTable } from '../../../functions/token-broker/store/ensure-table.ts';
import { deriveStoreKeys } from '../../../functions/token-broker/store/token-crypto.ts';
import { type Dynalite, sdkConfigFor, startDynalite } from '../../support/dynalite.ts';
import { startHangingServer, startSlowEngine } from '../../support/store-fault-servers.ts';

describe('loadOrCreateDevStoreKey', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'store-key-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('creates one 256-bit key, readable by the owner only, that concurrent callers all agree on', async () => {
    // Prepare
    const file = path.join(dir, 'a', '.dev', 'token-store-key');
    // Act
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateDevStoreKey(file)));
    // Assess
    expect(new Set(keys).size).toBe(1);
    expect(Buffer.from(keys[0] ?? '', 'base64url')).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(() => deriveStoreKeys(keys[0] ?? '')).not.toThrow();
    expect((await readFile(file, 'utf8')).trim()).toBe(keys[0]);
  });

  it('keeps an existing key', async () => {
    // Prepare
    const file = path.join(dir, 'b-key');
    const existing = 'x'.repeat(43);
    await writeFile(file, `${existing}\n`);
    // Act
    const key = await loadOrCreateDevStoreKey(file);
    // Assess
    expect(key).toBe(existing);
  });

  it('fails when the file holds something too short to be a key, without quoting it', async () => {
    // Prepare
    const file = path.join(dir, 'c-key');
    await writeFile(file, 'too-short-value');
    // Act
    const error = await loadOrCreateDevStoreKey(file).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ name: 'ConfigurationError', code: 'CONFIGURATION_ERROR' });
    expect((error as Error).message).not.toContain('too-short-value');
  });
});

describe('ensureTable', () => {
  let engine: Dynalite;
  beforeAll(async () => {
    engine = await startDynalite();
  });
  afterAll(() => engine.close());

  it('creates a missing table once while 5 processes ensure it at once, all of them returning when it is ACTIVE', async () => {
    // Prepare
    const clients = Array.from({ length: 5 }, () => engine.newClient());
    const before = engine.requests.get('CreateTable') ?? 0;
    // Act
    await Promise.all(clients.map((client) => ensureTable(client, 'fleet-tokens')));
    // Assess
    const out = await engine.client.send(new DescribeTableCommand({ TableName: 'fleet-tokens' }));
    expect(out.Table?.TableStatus).toBe('ACTIVE');
    expect(out.Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(out.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect((engine.requests.get('CreateTable') ?? 0) - before).toBeGreaterThanOrEqual(1);
    for (const client of clients) client.destroy();
  });

  it('leaves an existing table alone', async () => {
    // Prepare
    const before = engine.requests.get('CreateTable') ?? 0;
    // Act
    await ensureTable(engine.client, 'visual-token-broker-tokens');
    // Assess
    expect((engine.requests.get('CreateTable') ?? 0) - before).toBe(0);
  });

  it('retries throttled calls until the table is ACTIVE', async () => {
    // Prepare
    const slow = await startSlowEngine(engine.endpoint, { delayMs: 0, throttleFirst: 3 });
    const client = createDynamoDbClient(
      { connectionTimeout: 300, requestTimeout: 500 },
      { ...sdkConfigFor(slow.endpoint), maxAttempts: 1 },
    );
    // Act
    await ensureTable(client, 'throttled-tokens', 5_000);
    // Assess
    const out = await engine.client.send(
      new DescribeTableCommand({ TableName: 'throttled-tokens' }),
    );
    expect(out.Table?.TableStatus).toBe('ACTIVE');
    expect(slow.count()).toBeGreaterThan(3);
    client.destroy();
    await slow.close();
  });

  it('fails when the engine never answers within the budget, naming the table and the last error', async () => {
    // Prepare
    const hanging = await startHangingServer();
    const client = createDynamoDbClient(
      { connectionTimeout: 100, requestTimeout: 100 },
      { ...sdkConfigFor(hanging.endpoint), maxAttempts: 1 },
    );
    const started = Date.now();
    // Act
    const error = await ensureTable(client, 'never-tokens', 600).catch((e: unknown) => e);
    // Assess
    expect((error as Error).message).toMatch(
      /^Table never-tokens is not ACTIVE after 600 ms \(last error: ETIMEDOUT\)$/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    client.destroy();
    await hanging.close();
  });
});

/**
 * The coalescing BatchGetItem on a real dynalite: reads started in one turn
 * share calls across tables, at most 100 distinct keys a call; each caller
 * gets its own items; a caller that gives up leaves the others their answer.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchGet } from '../../../functions/token-broker/store/batch-get.ts';
import { ensureTable } from '../../../functions/token-broker/store/ensure-table.ts';
import { type Dynalite, startDynalite, TEST_TABLE } from '../../support/dynalite.ts';
import { startDynamoDbFaultProxy } from '../../support/dynamodb-fault-proxy.ts';
import { endpointEngine } from '../../support/fleet.ts';

const OTHER = 'batch-get-other';
let engine: Dynalite;

beforeAll(async () => {
  engine = await startDynalite();
  await ensureTable(engine.client, OTHER, undefined, 'principal');
  for (let i = 0; i < 120; i += 1) {
    await engine.client.send(
      new PutItemCommand({ TableName: TEST_TABLE, Item: { pk: { S: `t${i}` }, n: { N: `${i}` } } }),
    );
  }
  await engine.client.send(
    new PutItemCommand({ TableName: OTHER, Item: { principal: { S: 'user:a' } } }),
  );
});

afterAll(async () => {
  await engine?.close();
});

const calls = () => engine.requests.get('BatchGetItem') ?? 0;
const signal = () => AbortSignal.timeout(5000);

describe('createBatchGet', () => {
  it('answers two tables’ reads of one turn in ceil(distinct keys / 100) calls, each caller its own items', async () => {
    // Prepare
    const reader = createBatchGet(engine.newClient());
    const before = calls();
    const many = Array.from({ length: 120 }, (_, i) => `t${i}`);

    // Act
    const [tokens, again, principals] = await Promise.all([
      reader.get({
        table: TEST_TABLE,
        keyName: 'pk',
        keys: many,
        consistent: true,
        signal: signal(),
      }),
      reader.get({
        table: TEST_TABLE,
        keyName: 'pk',
        keys: ['t5', 'missing'],
        consistent: false,
        signal: signal(),
      }),
      reader.get({
        table: OTHER,
        keyName: 'principal',
        keys: ['user:a', 'user:b'],
        consistent: true,
        signal: signal(),
      }),
    ]);

    // Assess
    expect(calls() - before).toBe(2);
    expect(tokens).toHaveLength(120);
    expect(again.map((item) => item.pk?.S)).toEqual(['t5']);
    expect(principals.map((item) => item.principal?.S)).toEqual(['user:a']);
  });

  it('fails when a caller gives up: only that caller, the other still gets its items', async () => {
    // Prepare
    const reader = createBatchGet(engine.newClient());
    const quitter = new AbortController();

    // Act
    const gaveUp = reader.get({
      table: TEST_TABLE,
      keyName: 'pk',
      keys: ['t1'],
      consistent: true,
      signal: quitter.signal,
    });
    const stayed = reader.get({
      table: TEST_TABLE,
      keyName: 'pk',
      keys: ['t2'],
      consistent: true,
      signal: signal(),
    });
    quitter.abort(new Error('gave up'));

    // Assess
    await expect(gaveUp).rejects.toThrow('gave up');
    expect((await stayed).map((item) => item.pk?.S)).toEqual(['t2']);
  });

  it('fails when the engine is gone, for every caller of the call', async () => {
    // Prepare
    const gone = await startDynalite();
    const reader = createBatchGet(gone.newClient());
    await gone.close();

    // Act
    const reads = [
      reader.get({
        table: TEST_TABLE,
        keyName: 'pk',
        keys: ['x'],
        consistent: true,
        signal: signal(),
      }),
      reader.get({
        table: OTHER,
        keyName: 'principal',
        keys: ['y'],
        consistent: true,
        signal: signal(),
      }),
    ];

    // Assess
    for (const read of reads) await expect(read).rejects.toBeInstanceOf(Error);
  });

  it('asks again for keys left unprocessed, with backoff, until they are read', async () => {
    // Prepare
    const proxy = await startDynamoDbFaultProxy(engine.endpoint);
    proxy.fault('BatchGetItem', 'unprocessed', { times: 3 });
    const reader = createBatchGet(endpointEngine(proxy.endpoint).newClient());

    // Act
    const read = reader.get({
      table: TEST_TABLE,
      keyName: 'pk',
      keys: ['t3', 't4'],
      consistent: true,
      signal: signal(),
    });

    // Assess
    expect((await read).map((item) => item.pk?.S).sort()).toEqual(['t3', 't4']);
    expect(proxy.count('BatchGetItem')).toBe(4);
    await proxy.close();
  });

  it('fails with UNPROCESSED_KEYS, not a timeout, when keys stay unprocessed until the caller gives up', async () => {
    // Prepare
    const proxy = await startDynamoDbFaultProxy(engine.endpoint);
    proxy.fault('BatchGetItem', 'unprocessed');
    const reader = createBatchGet(endpointEngine(proxy.endpoint).newClient());

    // Act
    const read = reader.get({
      table: TEST_TABLE,
      keyName: 'pk',
      keys: ['t5'],
      consistent: true,
      signal: AbortSignal.timeout(200),
    });

    // Assess
    await expect(read).rejects.toMatchObject({
      name: 'TokenStoreError',
      reason: 'UNPROCESSED_KEYS',
    });
    expect(proxy.count('BatchGetItem')).toBeGreaterThan(2);
    await proxy.close();
  });
});

/**
 * `npm start` with GRANTS_TABLE: the grants table created at start when
 * missing (partition key `principal`, string), by several processes at once,
 * and reused as it is when present; the ready line says the directory is on;
 * an endpoint off loopback stops the start.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer } from '../../functions/local/server.ts';
import { GRANTS_TABLE_LAYOUT } from '../../functions/token-broker/contract.ts';
import { ConfigurationError } from '../../functions/token-broker/errors.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { type Dynalite, startDynalite } from '../support/dynalite.ts';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.ts';

let engine: Dynalite;
const servers: SpawnedServer[] = [];

beforeAll(async () => {
  engine = await startDynalite();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await engine?.close();
});

/** Spawns `npm start`'s entry with GRANTS_TABLE on the test engine. */
async function start(table: string): Promise<SpawnedServer> {
  const server = await spawnServer({
    GRANTS_TABLE: table,
    AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
    LOCAL_STORE_ENGINE: '',
  });
  servers.push(server);
  return server;
}

const creations = () => engine.requests.get('CreateTable') ?? 0;

describe('npm start with GRANTS_TABLE', () => {
  it('creates the missing table keyed by principal, three processes at once, and says so', async () => {
    // Prepare
    const before = creations();

    // Act
    const started = await Promise.all([
      start('grants-new'),
      start('grants-new'),
      start('grants-new'),
    ]);

    // Assess
    const { Table } = await engine.client.send(
      new DescribeTableCommand({ TableName: 'grants-new' }),
    );
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: GRANTS_TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
    ]);
    expect(Table?.AttributeDefinitions).toEqual([
      { AttributeName: 'principal', AttributeType: 'S' },
    ]);
    expect(creations() - before).toBeGreaterThanOrEqual(1);
    for (const server of started) {
      expect(server.output()).toContain(
        `  grants:   directory on: table grants-new on the DynamoDB engine at ${engine.endpoint}`,
      );
    }
  }, 60_000);

  it('reuses a table that is present, with its items', async () => {
    // Prepare
    await engine.client.send(
      new CreateTableCommand({
        TableName: 'grants-present',
        AttributeDefinitions: [{ AttributeName: 'principal', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'principal', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const item = { principal: { S: 'user:alice' }, grants: { SS: ['pkA/cam1'] } };
    await engine.client.send(new PutItemCommand({ TableName: 'grants-present', Item: item }));
    const before = creations();

    // Act
    const server = await start('grants-present');

    // Assess
    expect(creations()).toBe(before);
    expect(server.output()).toContain('grants:   directory on: table grants-present');
    const { Item } = await engine.client.send(
      new GetItemCommand({ TableName: 'grants-present', Key: { principal: item.principal } }),
    );
    expect(Item).toEqual(item);
  }, 30_000);

  it('prints no grants line without GRANTS_TABLE', async () => {
    // Act
    const server = await spawnServer({ GRANTS_TABLE: '' });
    servers.push(server);

    // Assess
    expect(server.output()).toContain('ready on http://127.0.0.1:');
    expect(server.output()).not.toContain('grants:');
  }, 30_000);

  it.each([
    ['unset', undefined],
    ['a remote host', 'https://dynamodb.eu-west-1.amazonaws.com'],
  ])('fails when AWS_ENDPOINT_URL_DYNAMODB is %s', async (_, endpoint) => {
    // Act
    const act = startLocalServer({
      metrics: NO_METRICS,
      port: 0,
      env: { GRANTS_TABLE: 'grants-anywhere', AWS_ENDPOINT_URL_DYNAMODB: endpoint },
    });

    // Assess
    await expect(act).rejects.toThrow(ConfigurationError);
    await expect(act).rejects.toThrow(
      /AWS_ENDPOINT_URL_DYNAMODB must point at a DynamoDB engine on loopback .* when GRANTS_TABLE is set/,
    );
  });
});

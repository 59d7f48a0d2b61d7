/**
 * GrantsClient with the real SDK against a real dynalite on loopback: the
 * item layout the broker reads, the atomic set updates under concurrent
 * writers, validation before any call, and DynamoDB's item size limit.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrantsClient, GrantsClientError } from '../../clients/grants-client.ts';
import { sdkConfigFor } from '../support/dynalite.ts';
import { GRANTS_TEST_TABLE, type GrantsTable, startGrantsTable } from './grants-table.ts';

const NOW = new Date('2026-05-01T12:00:00.000Z');

let table: GrantsTable;
let grants: GrantsClient;

beforeAll(async () => {
  table = await startGrantsTable();
  grants = new GrantsClient({ tableName: GRANTS_TEST_TABLE, client: table.client, now: () => NOW });
});

afterAll(() => table.close());

/** The principal's item as DynamoDB holds it. */
async function rawItem(principal: string) {
  const { Item } = await table.client.send(
    new GetItemCommand({ TableName: GRANTS_TEST_TABLE, Key: { principal: { S: principal } } }),
  );
  return Item;
}

/** The error `work` rejects with. */
async function failure(work: Promise<unknown>): Promise<GrantsClientError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GrantsClientError);
  return error as GrantsClientError;
}

describe('GrantsClient', () => {
  it('adds, lists and removes entries of a user', async () => {
    // Prepare
    const principal = 'user:alice';
    // Act
    const added = await grants.add(principal, ['pkB/cam-2', 'pkA/cam-1', 'pk2/*', 'pkA/cam-1']);
    const listed = await grants.list(principal);
    const removed = await grants.remove(principal, ['pkA/cam-1', 'pkZ/never-granted']);
    // Assess
    expect(added).toEqual({
      principal,
      entries: ['pk2/*', 'pkA/cam-1', 'pkB/cam-2'],
      updatedAt: NOW.toISOString(),
    });
    expect(listed).toEqual(added);
    expect(removed.entries).toEqual(['pk2/*', 'pkB/cam-2']);
    expect(await grants.list(principal)).toEqual(removed);
  });

  it('stores one item per principal: a string set and updatedAt, as the broker reads them', async () => {
    // Prepare
    const principal = 'user:layout';
    // Act
    await grants.add(principal, ['pkA/cam-1', '*']);
    // Assess
    expect(await rawItem(principal)).toEqual({
      principal: { S: principal },
      grants: { SS: expect.arrayContaining(['*', 'pkA/cam-1']) },
      updatedAt: { S: NOW.toISOString() },
    });
  });

  it('keeps the grants of a group apart from those of a user of the same name', async () => {
    // Act
    await grants.add('group:ops', ['pkOps/*']);
    await grants.add('user:ops', ['pkA/cam-9']);
    // Assess
    expect((await grants.list('group:ops')).entries).toEqual(['pkOps/*']);
    expect((await grants.list('user:ops')).entries).toEqual(['pkA/cam-9']);
  });

  it('lists no entries once the last one is removed, and keeps updatedAt', async () => {
    // Prepare
    await grants.add('user:bob', ['pkA/cam-1']);
    const later = new Date(NOW.getTime() + 60_000);
    const client = new GrantsClient({
      tableName: GRANTS_TEST_TABLE,
      client: table.client,
      now: () => later,
    });
    // Act
    const removed = await client.remove('user:bob', ['pkA/cam-1']);
    // Assess
    expect(removed).toEqual({ principal: 'user:bob', entries: [], updatedAt: later.toISOString() });
    expect((await rawItem('user:bob'))?.grants).toBeUndefined();
  });

  it('lists no entries for a principal never written', async () => {
    // Act
    const listed = await grants.list('user:nobody');
    // Assess
    expect(listed).toEqual({ principal: 'user:nobody', entries: [], updatedAt: undefined });
  });

  it('never loses an entry under concurrent adds and removes', async () => {
    // Prepare: 10 entries to remove, then 20 writers adding and 10 removing at once, each its own client.
    const principal = 'user:busy';
    const doomed = Array.from({ length: 10 }, (_, i) => `pkOld/cam-${i}`);
    await grants.add(principal, doomed);
    const writers = Array.from({ length: 30 }, () => {
      const client = new DynamoDBClient(sdkConfigFor(table.dynalite.endpoint));
      return new GrantsClient({ tableName: GRANTS_TEST_TABLE, client });
    });
    const added = Array.from({ length: 20 }, (_, i) => `pkNew/cam-${i}`);
    // Act
    await Promise.all([
      ...added.map((entry, i) => writers[i]?.add(principal, [entry])),
      ...doomed.map((entry, i) => writers[20 + i]?.remove(principal, [entry])),
    ]);
    // Assess
    expect((await grants.list(principal)).entries).toEqual([...added].sort());
  });

  it.each([
    ['the principal has no prefix', 'alice'],
    ['the principal has an unknown prefix', 'role:admin'],
    ['the principal has whitespace', 'user:alice smith'],
    ['the principal is empty after its prefix', 'group:'],
  ])('fails when %s, naming principal, before any call', async (_case, principal) => {
    // Prepare
    const before = table.dynalite.requests.get('UpdateItem') ?? 0;
    // Act
    const error = await failure(grants.add(principal, ['pkA/cam-1']));
    // Assess
    expect(error.code).toBe('INVALID_PRINCIPAL');
    expect(error.argument).toBe('principal');
    expect(error.message).toMatch(/^principal: /);
    expect(table.dynalite.requests.get('UpdateItem') ?? 0).toBe(before);
  });

  it.each([
    ['an entry has no slash', ['pkA/cam-1', 'cam-1'], 'entries[1]'],
    ['an entry has a bad product key', ['pk-A/cam-1'], 'entries[0]'],
    ['an entry has a bad device name', ['pkA/cam 1'], 'entries[0]'],
    ['an entry is not a string', ['pkA/cam-1', 'pkA/cam-2', 42], 'entries[2]'],
  ])('fails when %s, naming it', async (_case, entries, argument) => {
    // Act
    const error = await failure(grants.remove('user:alice', entries as string[]));
    // Assess
    expect(error.code).toBe('INVALID_ENTRY');
    expect(error.argument).toBe(argument);
    expect(error.message).toMatch(new RegExp(`^${argument.replace(/[[\]]/g, '\\$&')}: `));
  });

  it('fails when no entry is given', async () => {
    // Act
    const error = await failure(grants.add('user:alice', []));
    // Assess
    expect(error.code).toBe('NO_ENTRIES');
    expect(error.argument).toBe('entries');
  });

  it('fails when listing an invalid principal', async () => {
    // Act
    const error = await failure(grants.list('everyone'));
    // Assess
    expect(error.code).toBe('INVALID_PRINCIPAL');
  });

  it('fails when the table name is missing', () => {
    // Act
    const make = () => new GrantsClient({ tableName: '' });
    // Assess
    expect(make).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', argument: 'tableName' }),
    );
  });

  it('fails when the table does not exist, with STORE_ERROR and the SDK error as cause', async () => {
    // Prepare
    const client = new GrantsClient({ tableName: 'no-such-table', client: table.client });
    // Act
    const error = await failure(client.list('user:alice'));
    // Assess
    expect(error.code).toBe('STORE_ERROR');
    expect(error.message).toContain('no-such-table');
    expect((error.cause as Error).name).toBe('ResourceNotFoundException');
  });

  it('fails when an add would pass the 400 KB item limit, with ITEM_TOO_LARGE, adding nothing', async () => {
    // Prepare: about 300 KB of entries, each 1 + 64 + 128 characters long.
    const principal = 'user:hoarder';
    const entry = (i: number) => `${'p'.repeat(64)}/${String(i).padStart(128, 'd')}`;
    const first = Array.from({ length: 1500 }, (_, i) => entry(i));
    await grants.add(principal, first);
    const more = Array.from({ length: 700 }, (_, i) => entry(1500 + i));
    // Act
    const error = await failure(grants.add(principal, more));
    // Assess
    expect(error.code).toBe('ITEM_TOO_LARGE');
    expect(error.message).toContain('400 KB');
    expect((error.cause as Error).name).toBe('ValidationException');
    expect((await grants.list(principal)).entries).toHaveLength(first.length);
  });
});

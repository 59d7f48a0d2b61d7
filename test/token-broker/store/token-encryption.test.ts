/**
 * Encryption at rest: what someone with full read access to the table sees,
 * and what happens to ciphertext moved, altered or read under another key.
 * Against a real dynalite through the real SDK.
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbTokenStore } from '../../../functions/token-broker/store/dynamodb-token-store.ts';
import {
  accountKey,
  deriveStoreKeys,
  type StoreKeys,
} from '../../../functions/token-broker/store/token-crypto.ts';
import { storeKeys } from '../../../functions/token-broker/store/token-store.ts';
import { type Dynalite, startDynalite, TEST_TABLE } from '../../support/dynalite.ts';
import { PLANTED, plantedCredentials } from '../../support/fakes.ts';

const T = 1_795_305_600_000;
const HOUR = 3_600_000;
// A JWT-shaped token with distinctive parts, each of which must stay out of the table.
const JWT = [
  'eyJhbGciOiJIUzI1NiJ9',
  'eyJzdWIiOiJwcm9kdWN0L2RldmljZSIsImV4cCI6MTc5NTMwOTIwMH0',
  'Zm9vYmFyLXNpZ25hdHVyZS1jYW5hcnktMzE0MTU5',
].join('.');

let engine: Dynalite;
beforeAll(async () => {
  engine = await startDynalite();
});
afterAll(() => engine.close());

const newKeys = () => deriveStoreKeys(randomBytes(32).toString('base64url'));
const storeWith = (keys: StoreKeys) =>
  createDynamoDbTokenStore({
    client: engine.client,
    tableName: TEST_TABLE,
    encryptionKey: keys.encryptionKey,
    timeoutMs: 5000,
  });
const rawItem = async (pk: string) =>
  (await engine.client.send(new GetItemCommand({ TableName: TEST_TABLE, Key: { pk: { S: pk } } })))
    .Item;
const at = (now: number) => ({ now });

describe('encryption at rest', () => {
  it('stores neither the token, nor any of its parts, nor the user name', async () => {
    // Prepare
    const keys = newKeys();
    const store = storeWith(keys);
    const account = accountKey(keys.hashKey, plantedCredentials);
    const pk = storeKeys.token(account, 'product/device');
    // Act
    await store.write(
      account,
      [{ deviceId: 'product/device', token: { visualToken: JWT, expiresAt: T + HOUR } }],
      'h1',
      at(T),
    );
    const item = await rawItem(pk);
    // Assess
    expect(item?.ct?.B).toBeInstanceOf(Uint8Array);
    const bytes = Buffer.from(
      JSON.stringify(item, (_k, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
      ),
      'latin1',
    );
    for (const secret of [JWT, ...JWT.split('.'), PLANTED.userName, PLANTED.appCode]) {
      expect(bytes.includes(secret)).toBe(false);
      expect(Buffer.from(item?.ct?.B ?? []).includes(Buffer.from(secret, 'base64url'))).toBe(false);
    }
    expect(item?.exp?.N).toBe(String(T + HOUR));
    expect(item?.ttl?.N).toBe(String(Math.ceil((T + HOUR) / 1000)));
  });

  it('uses a fresh IV per write: the same token twice gives different ciphertext', async () => {
    // Prepare
    const keys = newKeys();
    const store = storeWith(keys);
    const entry = (deviceId: string) => ({
      deviceId,
      token: { visualToken: JWT, expiresAt: T + HOUR },
    });
    // Act
    await store.write('acct-iv', [entry('p/a'), entry('p/b')], 'h1', at(T));
    const [a, b] = await Promise.all([
      rawItem(storeKeys.token('acct-iv', 'p/a')),
      rawItem(storeKeys.token('acct-iv', 'p/b')),
    ]);
    // Assess
    expect(Buffer.from(a?.ct?.B ?? []).equals(Buffer.from(b?.ct?.B ?? []))).toBe(false);
  });

  it('refuses a ciphertext copied to another item, counting it unreadable', async () => {
    // Prepare
    const keys = newKeys();
    const store = storeWith(keys);
    await store.write(
      'acct-copy',
      [{ deviceId: 'p/victim', token: { visualToken: JWT, expiresAt: T + HOUR } }],
      'h1',
      at(T),
    );
    const item = await rawItem(storeKeys.token('acct-copy', 'p/victim'));
    await engine.client.send(
      new PutItemCommand({
        TableName: TEST_TABLE,
        Item: { ...item, pk: { S: storeKeys.token('acct-copy', 'p/other') } },
      }),
    );
    // Act
    const snapshot = await store.read('acct-copy', ['p/victim', 'p/other'], at(T));
    // Assess
    expect([...snapshot.tokens.keys()]).toEqual(['p/victim']);
    expect(snapshot.unreadable.get('sealed')).toBe(1);
  });

  it('refuses an item whose plain expiry was altered', async () => {
    // Prepare
    const keys = newKeys();
    const store = storeWith(keys);
    const pk = storeKeys.token('acct-exp', 'p/a');
    await store.write(
      'acct-exp',
      [{ deviceId: 'p/a', token: { visualToken: JWT, expiresAt: T + HOUR } }],
      'h1',
      at(T),
    );
    await engine.client.send(
      new UpdateItemCommand({
        TableName: TEST_TABLE,
        Key: { pk: { S: pk } },
        UpdateExpression: 'SET #e = :e',
        ExpressionAttributeNames: { '#e': 'exp' },
        ExpressionAttributeValues: { ':e': { N: String(T + 24 * HOUR) } },
      }),
    );
    // Act
    const snapshot = await store.read('acct-exp', ['p/a'], at(T));
    // Assess
    expect(snapshot.tokens.size).toBe(0);
    expect(snapshot.unreadable.get('sealed')).toBe(1);
  });

  it('after a key rotation, finds no old item under the new account key and cannot read it under the old one', async () => {
    // Prepare
    const oldKeys = newKeys();
    const newKeysAfterRotation = newKeys();
    const oldAccount = accountKey(oldKeys.hashKey, plantedCredentials);
    const newAccount = accountKey(newKeysAfterRotation.hashKey, plantedCredentials);
    await storeWith(oldKeys).write(
      oldAccount,
      [{ deviceId: 'p/a', token: { visualToken: JWT, expiresAt: T + HOUR } }],
      'h1',
      at(T),
    );
    const rotated = storeWith(newKeysAfterRotation);
    // Act
    const underNewAccount = await rotated.read(newAccount, ['p/a'], at(T));
    const underOldAccount = await rotated.read(oldAccount, ['p/a'], at(T));
    // Assess
    expect(newAccount).not.toBe(oldAccount);
    expect(underNewAccount.tokens.size).toBe(0);
    expect(underNewAccount.unreadable.size).toBe(0);
    expect(underOldAccount.tokens.size).toBe(0);
    expect(underOldAccount.unreadable.get('sealed')).toBe(1);
  });

  it('leases an unreadable item that claims a valid expiry only by a forced refresh, then replaces it', async () => {
    // Prepare
    const keys = newKeys();
    const store = storeWith(keys);
    await store.write(
      'acct-bad',
      [{ deviceId: 'p/a', token: { visualToken: JWT, expiresAt: T + HOUR } }],
      'h0',
      at(T),
    );
    const unreadable = storeWith(newKeys());
    const force = {
      mode: 'refresh',
      holder: 'h1',
      leaseMs: 10_000,
      refreshNotBefore: Number.MAX_SAFE_INTEGER,
    } as const;
    // Act
    const byMiss = await unreadable.lease(
      'acct-bad',
      ['p/a'],
      { mode: 'miss', holder: 'h1', leaseMs: 10_000, minValidUntil: T + 60_000 },
      at(T),
    );
    const byForce = await unreadable.lease('acct-bad', ['p/a'], force, at(T));
    const written = await unreadable.write(
      'acct-bad',
      [{ deviceId: 'p/a', token: { visualToken: 'new.token.value', expiresAt: T + HOUR } }],
      'h1',
      at(T),
    );
    const snapshot = await unreadable.read('acct-bad', ['p/a'], at(T));
    // Assess
    expect(byMiss.granted.size).toBe(0);
    expect(byForce.granted).toEqual(new Set(['p/a']));
    expect(written.written).toEqual(new Set(['p/a']));
    expect(snapshot.tokens.get('p/a')?.visualToken).toBe('new.token.value');
    expect(snapshot.unreadable.size).toBe(0);
  });
});

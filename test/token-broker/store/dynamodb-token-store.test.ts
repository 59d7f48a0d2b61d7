/**
 * The DynamoDB token store's semantics, through the real SDK against a real
 * engine (dynalite on loopback). Time logic runs on explicit clock values.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbTokenStore } from '../../../functions/token-broker/store/dynamodb-token-store.ts';
import { deriveStoreKeys } from '../../../functions/token-broker/store/token-crypto.ts';
import { type LeaseRequest, storeKeys } from '../../../functions/token-broker/store/token-store.ts';
import { type Dynalite, startDynalite, TEST_TABLE } from '../../support/dynalite.ts';

const T = 1_795_305_600_000; // 2026-11-22T00:00:00Z, an hour boundary
const HOUR = 3_600_000;
const keys = deriveStoreKeys(randomBytes(32).toString('base64url'));

let engine: Dynalite;
beforeAll(async () => {
  engine = await startDynalite();
});
afterAll(() => engine.close());

const newStore = (client = engine.client) =>
  createDynamoDbTokenStore({
    client,
    tableName: TEST_TABLE,
    encryptionKey: keys.encryptionKey,
    timeoutMs: 5000,
  });
/** A fresh account per test keeps tests apart on one table. */
const newAccount = () => randomUUID().slice(0, 22);
const at = (now: number) => ({ now });
const miss = (holder: string, now: number, leaseMs = 10_000): LeaseRequest => ({
  mode: 'miss',
  holder,
  leaseMs,
  minValidUntil: now + 60_000,
});
const token = (name: string, expiresAt: number, refreshedAt?: number) => ({
  visualToken: `header.${name}.signature`,
  expiresAt,
  ...(refreshedAt === undefined ? {} : { refreshedAt }),
});

describe('read and write', () => {
  it('returns what was written, refresh time included, and drops the writer lease', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    await store.lease(account, ['p/a', 'p/b'], miss('h1', T), at(T));
    // Act
    const written = await store.write(
      account,
      [
        { deviceId: 'p/a', token: token('a', T + HOUR) },
        { deviceId: 'p/b', token: token('b', T + HOUR, T) },
      ],
      'h1',
      at(T),
    );
    const snapshot = await store.read(account, ['p/a', 'p/b', 'p/c'], at(T + 1));
    // Assess
    expect(written.written).toEqual(new Set(['p/a', 'p/b']));
    expect(snapshot.tokens).toEqual(
      new Map([
        ['p/a', token('a', T + HOUR)],
        ['p/b', token('b', T + HOUR, T)],
      ]),
    );
    expect(snapshot.leased.size).toBe(0);
    expect(snapshot.unreadable.size).toBe(0);
    expect(snapshot.circuitOpenUntil).toBeUndefined();
    expect(snapshot.loginsThisHour).toBeUndefined();
  });

  // Timed against a real engine on a shared machine: retried, not loosened.
  it('leases 100 devices in one call within the default deadline of 300 ms per 50 devices', {
    retry: 2,
  }, async () => {
    // Prepare
    const store = createDynamoDbTokenStore({
      client: engine.newClient(),
      tableName: TEST_TABLE,
      encryptionKey: keys.encryptionKey,
      timeoutMs: 300,
    });
    const account = newAccount();
    const ids = Array.from({ length: 100 }, (_, i) => `p/many${i}`);
    // Act
    const leased = await store.lease(account, ids, miss('h1', T), at(T));
    // Assess
    expect(leased.granted.size).toBe(100);
  });

  it('reads more than 100 devices in chunks of 100 keys', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    const ids = Array.from({ length: 150 }, (_, i) => `p/d${i}`);
    // Seeded 30 at a time: 150 parallel writes would queue past the client's time limits.
    for (let i = 0; i < ids.length; i += 30) {
      const entries = ids
        .slice(i, i + 30)
        .map((deviceId) => ({ deviceId, token: token(deviceId, T + HOUR) }));
      await store.write(account, entries, 'h1', at(T));
    }
    const before = engine.requests.get('BatchGetItem') ?? 0;
    // Act
    const snapshot = await store.read(account, ids, at(T));
    // Assess
    expect(snapshot.tokens.size).toBe(150);
    expect((engine.requests.get('BatchGetItem') ?? 0) - before).toBe(2);
  });

  it('skips a write while another holder has a live lease, and takes it once that lease expired', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    await store.lease(account, ['p/a'], miss('h1', T, 1000), at(T));
    // Act
    const refused = await store.write(
      account,
      [{ deviceId: 'p/a', token: token('x', T + HOUR) }],
      'h2',
      at(T + 500),
    );
    const taken = await store.write(
      account,
      [{ deviceId: 'p/a', token: token('y', T + HOUR) }],
      'h2',
      at(T + 1001),
    );
    // Assess
    expect(refused.written.size).toBe(0);
    expect(taken.written).toEqual(new Set(['p/a']));
    const snapshot = await store.read(account, ['p/a'], at(T + 1002));
    expect(snapshot.tokens.get('p/a')?.visualToken).toBe('header.y.signature');
  });

  it('never replaces a token with one that expires earlier', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    await store.write(
      account,
      [{ deviceId: 'p/a', token: token('new', T + 2 * HOUR) }],
      'h1',
      at(T),
    );
    // Act
    const written = await store.write(
      account,
      [{ deviceId: 'p/a', token: token('old', T + HOUR) }],
      'h2',
      at(T),
    );
    // Assess
    expect(written.written.size).toBe(0);
    const snapshot = await store.read(account, ['p/a'], at(T));
    expect(snapshot.tokens.get('p/a')?.visualToken).toBe('header.new.signature');
  });
});

describe('leases', () => {
  it('grants a miss lease once, and shows it to readers while it lives', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    // Act
    const first = await store.lease(account, ['p/a', 'p/b'], miss('h1', T), at(T));
    const second = await store.lease(account, ['p/a', 'p/b'], miss('h2', T), at(T + 1));
    const snapshot = await store.read(account, ['p/a', 'p/b'], at(T + 2));
    // Assess
    expect(first.granted).toEqual(new Set(['p/a', 'p/b']));
    expect(second.granted.size).toBe(0);
    expect(new Set(snapshot.leased.keys())).toEqual(new Set(['p/a', 'p/b']));
  });

  it('takes over the lease of a crashed holder once it expired', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    await store.lease(account, ['p/a'], miss('crashed', T, 1000), at(T));
    // Act
    const early = await store.lease(account, ['p/a'], miss('h2', T + 999), at(T + 999));
    const late = await store.lease(account, ['p/a'], miss('h2', T + 1001), at(T + 1001));
    const snapshot = await store.read(account, ['p/a'], at(T + 20_000));
    // Assess
    expect(early.granted.size).toBe(0);
    expect(late.granted).toEqual(new Set(['p/a']));
    expect(snapshot.leased.size).toBe(0);
  });

  it('refuses a miss lease while a stored token is valid long enough', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    await store.write(
      account,
      [
        { deviceId: 'p/valid', token: token('v', T + HOUR) },
        { deviceId: 'p/expiring', token: token('e', T + 30_000) },
      ],
      'h0',
      at(T),
    );
    // Act
    const leased = await store.lease(account, ['p/valid', 'p/expiring'], miss('h1', T), at(T));
    // Assess
    expect(leased.granted).toEqual(new Set(['p/expiring']));
  });

  it('refuses a refresh lease within the interval of the last refresh login, not after a miss', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    const interval = 30_000;
    await store.write(
      account,
      [
        { deviceId: 'p/refreshed', token: token('r', T + HOUR, T) },
        { deviceId: 'p/missed', token: token('m', T + HOUR) },
      ],
      'h0',
      at(T),
    );
    const refresh = (holder: string, now: number): LeaseRequest => ({
      mode: 'refresh',
      holder,
      leaseMs: 10_000,
      refreshNotBefore: now - interval,
    });
    // Act
    const inside = await store.lease(
      account,
      ['p/refreshed', 'p/missed'],
      refresh('h1', T + 10_000),
      at(T + 10_000),
    );
    const after = await store.lease(
      account,
      ['p/refreshed'],
      refresh('h2', T + interval + 1),
      at(T + interval + 1),
    );
    // Assess
    expect(inside.granted).toEqual(new Set(['p/missed']));
    expect(after.granted).toEqual(new Set(['p/refreshed']));
  });

  it('releases only its own leases', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    await store.lease(account, ['p/mine'], miss('h1', T), at(T));
    await store.lease(account, ['p/theirs'], miss('h2', T), at(T));
    // Act
    await store.release(account, ['p/mine', 'p/theirs', 'p/none'], 'h1', at(T));
    const snapshot = await store.read(account, ['p/mine', 'p/theirs', 'p/none'], at(T));
    // Assess
    expect(snapshot.leased).toEqual(new Map([['p/theirs', 'h2']]));
  });

  it('grants exactly 1 of 10 concurrent leases on one device', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    // Act
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.lease(account, ['p/a'], miss(`h${i}`, T), at(T))),
    );
    // Assess
    expect(results.filter((r) => r.granted.has('p/a'))).toHaveLength(1);
  });

  it('grants exactly 1 of 10 concurrent leases made through two separate clients', async () => {
    // Prepare
    const stores = [newStore(engine.newClient()), newStore(engine.newClient())];
    const account = newAccount();
    // Act
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stores[i % 2]?.lease(account, ['p/a'], miss(`h${i}`, T), at(T)),
      ),
    );
    // Assess
    expect(results.filter((r) => r?.granted.has('p/a'))).toHaveLength(1);
  });
});

describe('circuit marker and login counter', () => {
  it('reads the circuit marker, which is never shortened', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    // Act
    await store.openCircuit(account, T + 30_000, at(T));
    await store.openCircuit(account, T + 10_000, at(T + 1));
    const snapshot = await store.read(account, ['p/a'], at(T + 2));
    // Assess
    expect(snapshot.circuitOpenUntil).toBe(T + 30_000);
  });

  it('counts logins atomically under concurrency, per hour', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    // Act
    const totals = await Promise.all(
      Array.from({ length: 20 }, () => store.countLogins(account, 1, at(T + 1000))),
    );
    const nextHour = await store.countLogins(account, 3, at(T + HOUR));
    const thisHour = await store.read(account, [], at(T + HOUR - 1));
    // Assess
    expect([...totals].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(nextHour).toBe(3);
    expect(thisHour.loginsThisHour).toBe(20);
    const raw = await engine.client.send(
      new GetItemCommand({
        TableName: TEST_TABLE,
        Key: { pk: { S: storeKeys.budget(account, T) } },
      }),
    );
    // Kept 3 hours past the end of its hour, then left to DynamoDB's TTL.
    expect(raw.Item?.ttl?.N).toBe(String((T + HOUR) / 1000 + 3 * 3600));
    expect(storeKeys.budget(account, T)).toBe(`b#${account}#2026112200`);
  });
});

describe('call-count budget', () => {
  it('reads 30 devices, the circuit marker and the login counter in exactly 1 BatchGetItem request', async () => {
    // Prepare
    const store = newStore();
    const account = newAccount();
    const ids = Array.from({ length: 30 }, (_, i) => `p/d${i}`);
    await store.openCircuit(account, T + 5000, at(T));
    await store.countLogins(account, 2, at(T));
    const before = new Map(engine.requests);
    // Act
    const snapshot = await store.read(account, ids, at(T));
    // Assess
    const delta = [...engine.requests].filter(([op, n]) => n !== (before.get(op) ?? 0));
    expect(delta).toEqual([['BatchGetItem', (before.get('BatchGetItem') ?? 0) + 1]]);
    expect(snapshot.circuitOpenUntil).toBe(T + 5000);
    expect(snapshot.loginsThisHour).toBe(2);
  });
});

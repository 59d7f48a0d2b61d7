/**
 * Leak canary of the fleet tier: with the store on, no log or EMF line may
 * hold the store key secret, the keys derived from it, the developer
 * account's user name or secrets, or any token the upstream issued, on any
 * path: a cold miss with a lease, an L2 hit, a lease wait, a refresh, a
 * stopped store and an unusable key.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../functions/token-broker/log.ts';
import { createEmfMetrics } from '../../../functions/token-broker/metrics.ts';
import { deriveStoreKeys } from '../../../functions/token-broker/store/token-crypto.ts';
import { startDynalite } from '../../support/dynalite.ts';
import { devicesOf, startFleet } from '../../support/fleet.ts';

const unique = (what: string) => `canary-${what}-${randomUUID()}`;
const ACCOUNT = {
  userName: unique('user'),
  password: unique('password'),
  appCode: unique('appcode'),
};
const STORE_KEY = unique('store-key');
const lines: string[] = [];
const issued: string[] = [];
const closers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const close of closers) await close();
});

const overrides = {
  logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
  metrics: createEmfMetrics({ write: (l) => lines.push(l) }),
};

describe('fleet leak canary', () => {
  it('writes no key material, credentials or token to any log or EMF line', async () => {
    // Prepare
    const fleet = await startFleet({
      containers: 2,
      account: ACCOUNT,
      storeKey: STORE_KEY,
      overrides,
    });
    closers.push(fleet.close);
    const [a, b] = fleet.containers;
    const stopped = await startDynalite();
    await stopped.close();
    const down = await startFleet({
      containers: 1,
      account: ACCOUNT,
      storeKey: STORE_KEY,
      engine: stopped,
      overrides,
    });
    closers.push(down.close);
    const badKey = await startFleet({
      containers: 1,
      account: ACCOUNT,
      storeKey: 'short',
      overrides,
    });
    closers.push(badKey.close);
    const devices = devicesOf(2);

    // Act
    await a?.invoke(devices);
    await b?.invoke(devices);
    await Promise.all([a?.invoke(devicesOf(1, 'both')), b?.invoke(devicesOf(1, 'both'))]);
    await b?.invoke(devices, { refresh: true });
    await down.containers[0]?.invoke(devices);
    await badKey.containers[0]?.invoke(devices);
    for (const f of [fleet, down, badKey]) issued.push(...f.sim.issued);

    // Assess
    const keys = deriveStoreKeys(STORE_KEY);
    const canaries = [
      STORE_KEY,
      ...[keys.encryptionKey, keys.hashKey].flatMap((k) => [
        k.toString('hex'),
        k.toString('base64'),
        k.toString('base64url'),
      ]),
      ACCOUNT.userName,
      ACCOUNT.password,
      ACCOUNT.appCode,
      ...issued,
      // The signature part alone of each token.
      ...issued.map((t) => t.split('.')[2] ?? t).filter((s) => s.length >= 16),
    ];
    expect(issued.length).toBeGreaterThanOrEqual(4);
    expect(lines.some((l) => l.includes('token store unavailable'))).toBe(true);
    expect(lines.some((l) => l.includes('"StoreHits"'))).toBe(true);
    for (const canary of canaries) {
      expect(lines.filter((l) => l.includes(canary))).toEqual([]);
    }
  });
});

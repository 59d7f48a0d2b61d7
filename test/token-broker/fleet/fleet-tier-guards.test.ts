/**
 * The fleet tier's guards in place (fleet-tier.ts): the shared circuit and
 * the hourly budget read from the store before any lease, the caller's
 * share reserved under a keyed hash, and the breaker's event writing the
 * circuit marker within the running request.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceKey } from '../../../functions/token-broker/device.ts';
import { keyedId } from '../../../functions/token-broker/store/token-crypto.ts';
import { snapshotOf } from '../../support/fake-token-store.ts';
import { tier } from '../../support/fleet-tier-harness.ts';
import { ACCOUNT_KEY, devices, KEYS, SETTINGS, T0 } from '../../support/fleet-unit.ts';

const [D0, D1, _D2] = devices(3) as [DeviceKey, DeviceKey, DeviceKey];

describe('createFleetTier guards', () => {
  it('fails when the shared circuit is open fleet-wide: every miss refused at once, counted', async () => {
    // Prepare
    const t = tier({
      settings: { sharedCircuit: true },
      store: { read: async () => snapshotOf({ circuitOpenUntil: T0 + 5_000 }) },
    });
    // Act
    const out = await t.ask([D0, D1]);
    // Assess
    expect(out).toEqual({
      'pk/d0': 'error:UPSTREAM_UNAVAILABLE',
      'pk/d1': 'error:UPSTREAM_UNAVAILABLE',
    });
    expect(t.sum('SharedCircuitRefusals')).toBe(1);
    expect(t.logins).toEqual([]);
    expect(t.callsOf('lease')).toEqual([]);
  });

  it('ignores a circuit marker when the circuit is not shared', async () => {
    // Prepare
    const t = tier({ store: { read: async () => snapshotOf({ circuitOpenUntil: T0 + 5_000 }) } });
    // Act
    const out = await t.ask([D0]);
    // Assess
    expect(out).toEqual({ 'pk/d0': 'token' });
    expect(t.sum('SharedCircuitRefusals')).toBe(0);
  });

  it('fails when an enforced budget is spent: every miss refused, the misses counted, the total published', async () => {
    // Prepare
    const budget = { ...SETTINGS.budget, perHour: 10, enforce: true };
    const t = tier({
      settings: { budget },
      store: { read: async () => snapshotOf({ loginsThisHour: 10 }) },
    });
    // Act
    const out = await t.ask([D0, D1]);
    // Assess
    expect(out).toEqual({
      'pk/d0': 'error:UPSTREAM_BUDGET_EXCEEDED',
      'pk/d1': 'error:UPSTREAM_BUDGET_EXCEEDED',
    });
    expect(t.sum('LoginBudgetExceeded')).toBe(2);
    expect(t.points).toContainEqual(['FleetLoginsThisHour', 10, undefined]);
    expect(t.logins).toEqual([]);
  });

  it.each([
    ['enforced, closed', true, 10, 'closed', 'error:UPSTREAM_UNAVAILABLE', 2, 0],
    ['enforced, open', true, 10, 'open', 'token', 0, 1],
    ['counted only', false, 10, 'closed', 'token', 0, 1],
    ['enforced at no limit', true, 0, 'closed', 'token', 0, 1],
  ] as const)(
    'fails when the store key cannot be read and the budget is %s, by its rule',
    async (_case, enforce, perHour, onStoreFault, outcome, refused, logins) => {
      // Prepare: without its key the store, and so the budget, cannot be read.
      const budget = { ...SETTINGS.budget, perHour, enforce, onStoreFault };
      const t = tier({
        settings: { budget },
        keys: () => Promise.reject(new Error('Secrets Manager is down')),
      });
      // Act
      const out = await t.ask([D0, D1]);
      // Assess
      expect(Object.values(out).map((o) => (o.split(':')[0] === 'error' ? o : 'token'))).toEqual([
        outcome,
        outcome,
      ]);
      expect(t.sum('LoginBudgetExceeded')).toBe(refused);
      expect(t.logins).toHaveLength(logins);
    },
  );

  it("publishes the hour's total only when the budget is on and the counter exists", async () => {
    // Prepare
    const off = tier({ store: { read: async () => snapshotOf({ loginsThisHour: 3 }) } });
    const noCounter = tier({ settings: { budget: { ...SETTINGS.budget, perHour: 10 } } });
    // Act
    await off.ask([D0]);
    await noCounter.ask([D0]);
    // Assess
    expect(off.points.map(([n]) => n)).not.toContain('FleetLoginsThisHour');
    // Only the count after the login (1), none from the read.
    expect(noCounter.points.filter(([n]) => n === 'FleetLoginsThisHour')).toEqual([
      ['FleetLoginsThisHour', 1, undefined],
    ]);
  });

  it("reserves an enforced budget under the caller's keyed hash, never the caller's name", async () => {
    // Prepare
    const budget = { ...SETTINGS.budget, perHour: 10, enforce: true, principalPercent: 50 };
    const t = tier({ settings: { budget } });
    // Act
    await t.ask([D0], { principal: 'alice' });
    await t.ask([D1]);
    // Assess
    const [withCaller, without] = t.callsOf('reserveLogins').map((c) => c[1]);
    expect(withCaller).toEqual({
      logins: 1,
      accountMax: 10,
      principal: { key: keyedId(KEYS.hashKey, 'principal:alice'), max: 5 },
    });
    expect(without).toEqual({ logins: 1, accountMax: 10 });
  });

  it('writes the shared circuit marker when the breaker opens during a login, before answering', async () => {
    // Prepare
    let release: () => void = () => {};
    const marker = new Promise<void>((resolve) => {
      release = resolve;
    });
    let t: ReturnType<typeof tier> | undefined;
    t = tier({
      settings: { sharedCircuit: true },
      store: { openCircuit: () => marker },
      duringLogin: () => t?.opened(T0 + 9_000),
    });
    let answered = false;
    // Act
    const out = t.ask([D0]).then((o) => {
      answered = true;
      return o;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const beforeMarker = answered;
    release();
    // Assess
    expect(await out).toEqual({ 'pk/d0': 'token' });
    expect(beforeMarker).toBe(false);
    expect(t.callsOf('openCircuit')).toEqual([
      [ACCOUNT_KEY, T0 + 9_000, expect.objectContaining({ now: T0 })],
    ]);
  });

  it('writes no marker when the circuit is not shared, or when no request is running', async () => {
    // Prepare
    let t: ReturnType<typeof tier> | undefined;
    t = tier({ duringLogin: () => t?.opened(T0 + 9_000) });
    const shared = tier({ settings: { sharedCircuit: true } });
    // Act
    await t.ask([D0]);
    shared.opened(T0 + 9_000);
    // Assess
    expect(t.callsOf('openCircuit')).toEqual([]);
    expect(shared.callsOf('openCircuit')).toEqual([]);
  });
  it('writes no marker for a request that has already been answered', async () => {
    // Prepare
    const t = tier({ settings: { sharedCircuit: true } });
    await t.ask([D0]);
    // Act
    t.opened(T0 + 9_000);
    // Assess
    expect(t.callsOf('openCircuit')).toEqual([]);
  });
});

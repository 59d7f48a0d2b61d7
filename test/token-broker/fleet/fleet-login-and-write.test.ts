/**
 * The login-and-write step (fleet-steps.ts) over an in-memory store: the
 * budget's reservation or count, the login, the write under the holder or
 * under another account, the release of what was not written, and how each
 * device's waiter settles.
 */
import { describe, expect, it } from 'vitest';
import { loginAndWrite } from '../../../functions/token-broker/fleet/fleet-steps.ts';
import { keyedId } from '../../../functions/token-broker/store/token-crypto.ts';
import type { StoreEntry } from '../../../functions/token-broker/store/token-store.ts';
import {
  ACCOUNT_KEY,
  devices,
  fleetHarness,
  KEYS,
  OTHER_ACCOUNT,
  T0,
} from '../../support/fleet-unit.ts';

/** Settings with an enforced budget of 100 logins an hour, 2 devices a login. */
const enforced = (over = {}) => ({
  settings: {
    budget: {
      perHour: 100,
      enforce: true,
      principalPercent: 50,
      onStoreFault: 'closed' as const,
      batchSize: 2,
      ...over,
    },
  },
});

describe('loginAndWrite', () => {
  it('logs in, writes under the holder, releases nothing written and serves each device', async () => {
    // Prepare
    const h = fleetHarness({ noToken: ['pk/d2'] });
    const run = h.runOf(devices(3));
    run.forced.add('pk/d1');
    // Act
    await loginAndWrite(h.ctx, run, ['pk/d0', 'pk/d1', 'pk/d2'], 'holder-9');
    // Assess
    expect(h.logins).toEqual([['pk/d0', 'pk/d1', 'pk/d2']]);
    const [write] = h.callsOf('write');
    expect(write?.[0]).toBe(ACCOUNT_KEY);
    expect(((write?.[1] ?? []) as StoreEntry[]).map((e) => [e.deviceId, e.replace])).toEqual([
      ['pk/d0', undefined],
      ['pk/d1', true],
    ]);
    expect('replace' in (((write?.[1] ?? []) as StoreEntry[])[0] as object)).toBe(false);
    expect(write?.[2]).toBe('holder-9');
    expect(h.callsOf('release')).toEqual([
      [ACCOUNT_KEY, ['pk/d2'], 'holder-9', expect.objectContaining({ now: T0 })],
    ]);
    expect(await h.settled(run)).toEqual({
      'pk/d0': 'token:acct-tag',
      'pk/d1': 'token:acct-tag',
      'pk/d2': 'failure:UPSTREAM_NO_TOKEN',
    });
    expect(h.callsOf('countLogins')).toEqual([]);
    expect(run.stop.signal.aborted).toBe(false);
  });

  it('releases the devices whose write did not land', async () => {
    // Prepare
    const h = fleetHarness({ store: { write: async () => ({ written: new Set(['pk/d0']) }) } });
    const run = h.runOf(devices(2));
    // Act
    await loginAndWrite(h.ctx, run, ['pk/d0', 'pk/d1'], 'holder-9');
    // Assess
    expect(h.callsOf('release').map((c) => c[1])).toEqual([['pk/d1']]);
  });

  it('does nothing for no devices', async () => {
    // Prepare
    const h = fleetHarness(enforced());
    const run = h.runOf(devices(1));
    // Act
    await loginAndWrite(h.ctx, run, [], 'holder-9');
    // Assess
    expect(h.calls).toEqual([]);
    expect(h.logins).toEqual([]);
  });

  it('fails when the login fails: no write, every lease released, every waiter rejected, waiting stopped', async () => {
    // Prepare
    const error = Object.assign(new Error('upstream down'), { code: 'UPSTREAM_UNAVAILABLE' });
    const h = fleetHarness({ loginError: error });
    const run = h.runOf(devices(2));
    // Act
    await loginAndWrite(h.ctx, run, ['pk/d0', 'pk/d1'], 'holder-9');
    // Assess
    expect(h.callsOf('write')).toEqual([]);
    expect(h.callsOf('release').map((c) => [c[1], c[2]])).toEqual([
      [['pk/d0', 'pk/d1'], 'holder-9'],
    ]);
    expect(await h.settled(run)).toEqual({
      'pk/d0': 'error:UPSTREAM_UNAVAILABLE',
      'pk/d1': 'error:UPSTREAM_UNAVAILABLE',
    });
    expect(run.stop.signal.aborted).toBe(true);
  });

  it('fails when the login fails for one device: nothing written, even the tokens that came', async () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf(devices(2));
    const error = Object.assign(new Error('upstream down'), { code: 'UPSTREAM_UNAVAILABLE' });
    const partly = {
      resolve: (list: Parameters<typeof h.ctx.inner.resolve>[0], request: typeof run.request) => {
        const all = h.ctx.inner.resolve(list, request);
        all.set('pk/d1', Promise.reject(error));
        return all;
      },
    };
    // Act
    await loginAndWrite({ ...h.ctx, inner: partly }, run, ['pk/d0', 'pk/d1'], 'holder-9');
    // Assess
    expect(h.callsOf('write')).toEqual([]);
    expect(h.callsOf('release').map((c) => c[1])).toEqual([['pk/d0', 'pk/d1']]);
    expect(await h.settled(run)).toEqual({
      'pk/d0': 'error:UPSTREAM_UNAVAILABLE',
      'pk/d1': 'error:UPSTREAM_UNAVAILABLE',
    });
  });

  it("writes a token of another account under that account's hash and a holder of its own", async () => {
    // Prepare
    const h = fleetHarness({ loginAccount: OTHER_ACCOUNT });
    const run = h.runOf(devices(1));
    // Act
    await loginAndWrite(h.ctx, run, ['pk/d0'], 'holder-9');
    // Assess
    const [write] = h.callsOf('write');
    expect(write?.[0]).toBe(keyedId(KEYS.hashKey, OTHER_ACCOUNT.identity));
    expect(write?.[0]).not.toBe(ACCOUNT_KEY);
    expect(write?.[2]).toBe('holder-1');
    expect(((write?.[1] ?? []) as StoreEntry[]).map((e) => e.deviceId)).toEqual(['pk/d0']);
    // No lease of ours was released there: ours is released where it was taken.
    expect(h.callsOf('release').map((c) => [c[0], c[1], c[2]])).toEqual([
      [ACCOUNT_KEY, ['pk/d0'], 'holder-9'],
    ]);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:other-tag' });
  });

  it('counts the logins for the alarm when the budget is counted, not enforced', async () => {
    // Prepare
    const h = fleetHarness({
      ...enforced({ enforce: false }),
      store: { countLogins: async () => 17 },
    });
    const run = h.runOf(devices(3));
    // Act
    await loginAndWrite(h.ctx, run, ['pk/d0', 'pk/d1', 'pk/d2'], 'holder-9');
    // Assess
    expect(h.callsOf('reserveLogins')).toEqual([]);
    expect(h.callsOf('countLogins')).toEqual([
      [ACCOUNT_KEY, 2, expect.objectContaining({ now: T0 })],
    ]);
    expect(h.points).toContainEqual(['FleetLoginsThisHour', 17, undefined]);
  });

  it('publishes no total when the count faults', async () => {
    // Prepare
    const h = fleetHarness({
      ...enforced({ enforce: false }),
      store: { countLogins: () => Promise.reject(new Error('down')) },
    });
    const run = h.runOf(devices(1));
    // Act
    await loginAndWrite(h.ctx, run, ['pk/d0'], 'holder-9');
    // Assess
    expect(h.sum('FleetLoginsThisHour')).toBe(0);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag' });
  });

  it('reserves the logins of an enforced budget, with the caller share, before logging in', async () => {
    // Prepare
    const h = fleetHarness(enforced());
    const run = { ...h.runOf(devices(3)), principalKey: 'caller-key' };
    // Act
    await loginAndWrite(h.ctx, run, ['pk/d0', 'pk/d1', 'pk/d2'], 'holder-9');
    // Assess
    expect(h.callsOf('reserveLogins')).toEqual([
      [
        ACCOUNT_KEY,
        { logins: 2, accountMax: 100, principal: { key: 'caller-key', max: 50 } },
        expect.objectContaining({ now: T0 }),
      ],
    ]);
    expect(h.callsOf('countLogins')).toEqual([]);
    expect(h.logins).toHaveLength(1);
    expect(h.sum('LoginBudgetExceeded')).toBe(0);
  });

  it.each([
    ['refused', async (): Promise<boolean> => false, 'error:UPSTREAM_BUDGET_EXCEEDED', 'closed'],
    [
      'unknown, failing closed',
      (): Promise<boolean> => Promise.reject(new Error('down')),
      'error:UPSTREAM_UNAVAILABLE',
      'closed',
    ],
  ] as const)(
    'fails when the reservation is %s: no login, the leases released, the waiters rejected',
    async (_case, reserveLogins, outcome, onStoreFault) => {
      // Prepare
      const h = fleetHarness({ ...enforced({ onStoreFault }), store: { reserveLogins } });
      const run = h.runOf(devices(2));
      // Act
      await loginAndWrite(h.ctx, run, ['pk/d0', 'pk/d1'], 'holder-9');
      // Assess
      expect(h.logins).toEqual([]);
      expect(h.callsOf('release').map((c) => [c[1], c[2]])).toEqual([
        [['pk/d0', 'pk/d1'], 'holder-9'],
      ]);
      expect(await h.settled(run)).toEqual({ 'pk/d0': outcome, 'pk/d1': outcome });
      expect(h.sum('LoginBudgetExceeded')).toBe(2);
      expect(run.stop.signal.aborted).toBe(true);
    },
  );

  it('logs in when the reservation is unknown and the budget fails open', async () => {
    // Prepare
    const h = fleetHarness({
      ...enforced({ onStoreFault: 'open' }),
      store: { reserveLogins: () => Promise.reject(new Error('down')) },
    });
    const run = h.runOf(devices(1));
    // Act
    await loginAndWrite(h.ctx, run, ['pk/d0'], 'holder-9');
    // Assess
    expect(h.logins).toEqual([['pk/d0']]);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag' });
    expect(h.sum('LoginBudgetExceeded')).toBe(0);
  });

  it('fails when the reservation is refused even though the budget fails open on faults', async () => {
    // Prepare
    const h = fleetHarness({
      ...enforced({ onStoreFault: 'open' }),
      store: { reserveLogins: async () => false },
    });
    const run = h.runOf(devices(1));
    // Act
    await loginAndWrite(h.ctx, run, ['pk/d0'], 'holder-9');
    // Assess
    expect(h.logins).toEqual([]);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'error:UPSTREAM_BUDGET_EXCEEDED' });
  });

  it('reserves nothing when the budget is enforced but 0 (off)', async () => {
    // Prepare
    const h = fleetHarness(enforced({ perHour: 0 }));
    const run = h.runOf(devices(1));
    // Act
    await loginAndWrite(h.ctx, run, ['pk/d0'], 'holder-9');
    // Assess
    expect(h.callsOf('reserveLogins')).toEqual([]);
    expect(h.callsOf('countLogins')).toEqual([]);
    expect(h.logins).toEqual([['pk/d0']]);
  });
});

/**
 * The fleet tier's steps one at a time (fleet-steps.ts), over an in-memory
 * store: what each asks of the store, with which arguments, and how it
 * settles each device's waiter.
 */
import { describe, expect, it } from 'vitest';
import { deviceId } from '../../../functions/token-broker/device.ts';
import { direct, fail, lease, serve } from '../../../functions/token-broker/fleet/fleet-steps.ts';
import { ACCOUNT_KEY, devices, fleetHarness, heldToken, T0 } from '../../support/fleet-unit.ts';

describe('serve', () => {
  it('serves what may be served, counts the hits, and returns the rest in order', async () => {
    // Prepare
    const h = fleetHarness();
    const list = devices(5);
    const [d0, , , d3] = list as [never, never, never, never];
    const run = h.runOf(list);
    const tokens = new Map([
      ['pk/d0', heldToken(d0, T0)],
      // Valid for less than minValidityMs (60 s).
      ['pk/d1', heldToken(list[1] as never, T0, 30_000)],
      // Another device's token under this device's id.
      ['pk/d2', heldToken(d0, T0)],
      ['pk/d3', heldToken(d3, T0, 120_000)],
    ]);
    // Act
    const left = serve(h.ctx, run, tokens, ['pk/d0', 'pk/d1', 'pk/d2', 'pk/d3', 'pk/d4']);
    // Assess
    expect(left).toEqual(['pk/d1', 'pk/d2', 'pk/d4']);
    expect(await h.settled(run)).toEqual({
      'pk/d0': 'token:acct-tag',
      'pk/d1': 'pending',
      'pk/d2': 'pending',
      'pk/d3': 'token:acct-tag',
      'pk/d4': 'pending',
    });
    expect(run.stats.storeHits).toBe(2);
    expect(h.sum('StoreHits')).toBe(2);
  });

  it('serves a refresh only a token from a refresh login within the interval', async () => {
    // Prepare
    const h = fleetHarness();
    const list = devices(3);
    const [d0, d1, d2] = list as [never, never, never];
    const run = h.runOf(list, { refresh: true });
    const tokens = new Map([
      ['pk/d0', heldToken(d0, T0, 3_600_000, T0 - 10_000)],
      ['pk/d1', heldToken(d1, T0, 3_600_000, T0 - 40_000)],
      ['pk/d2', heldToken(d2, T0)],
    ]);
    // Act
    const left = serve(h.ctx, run, tokens, ['pk/d0', 'pk/d1', 'pk/d2']);
    // Assess
    expect(left).toEqual(['pk/d1', 'pk/d2']);
  });
});

describe('lease', () => {
  it('asks for a miss lease valid past minValidityMs, under a new holder it remembers', async () => {
    // Prepare
    const h = fleetHarness({
      store: {
        lease: async () => ({
          granted: new Set(['pk/d0', 'pk/d1']),
          refused: new Set(['pk/d2']),
          unknown: new Set(),
        }),
      },
    });
    const run = h.runOf(devices(3));
    // Act
    const out = await lease(h.ctx, run, ['pk/d0', 'pk/d1', 'pk/d2'], false);
    // Assess
    expect(out.holder).toBe('holder-1');
    expect([...run.holders]).toEqual(['holder-1']);
    expect(h.callsOf('lease')).toEqual([
      [
        ACCOUNT_KEY,
        ['pk/d0', 'pk/d1', 'pk/d2'],
        { holder: 'holder-1', leaseMs: 5_000, mode: 'miss', minValidUntil: T0 + 60_000 },
        { now: T0 },
      ],
    ]);
    expect([...out.refused]).toEqual(['pk/d2']);
    expect(run.stats.leasesTaken).toBe(2);
    expect(h.sum('LeasesTaken')).toBe(2);
    expect(run.forced.size).toBe(0);
  });

  it('asks a refresh for a lease refused after a refresh within the interval', async () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf(devices(1), { refresh: true });
    // Act
    await lease(h.ctx, run, ['pk/d0'], false);
    // Assess
    expect(h.callsOf('lease')[0]?.[2]).toEqual({
      holder: 'holder-1',
      leaseMs: 5_000,
      mode: 'refresh',
      refreshNotBefore: T0 - 30_000,
    });
    expect(run.forced.size).toBe(0);
  });

  it('forces a takeover lease, and marks the devices as taken over once', async () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf(devices(2));
    // Act
    await lease(h.ctx, run, ['pk/d1'], true);
    // Assess
    expect(h.callsOf('lease')[0]?.[2]).toEqual({
      holder: 'holder-1',
      leaseMs: 5_000,
      mode: 'refresh',
      refreshNotBefore: Number.MAX_SAFE_INTEGER,
    });
    expect([...run.forced]).toEqual(['pk/d1']);
  });
});

describe('direct and fail', () => {
  it('logs in without asking the store anything', async () => {
    // Prepare
    const h = fleetHarness({ noToken: ['pk/d1'] });
    const run = h.runOf(devices(2));
    // Act
    await direct(h.ctx, run, ['pk/d0', 'pk/d1']);
    // Assess
    expect(h.calls).toEqual([]);
    expect(h.logins).toEqual([['pk/d0', 'pk/d1']]);
    expect(await h.settled(run)).toEqual({
      'pk/d0': 'token:acct-tag',
      'pk/d1': 'failure:UPSTREAM_NO_TOKEN',
    });
  });

  it('does nothing for no devices', async () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf(devices(1));
    // Act
    await direct(h.ctx, run, []);
    // Assess
    expect(h.logins).toEqual([]);
  });

  it('fails when the login fails, rejecting every waiter and stopping the run', async () => {
    // Prepare
    const h = fleetHarness({
      loginError: Object.assign(new Error('x'), { code: 'UPSTREAM_UNAVAILABLE' }),
    });
    const run = h.runOf(devices(2));
    // Act
    await direct(h.ctx, run, ['pk/d0', 'pk/d1']);
    // Assess
    expect(await h.settled(run)).toEqual({
      'pk/d0': 'error:UPSTREAM_UNAVAILABLE',
      'pk/d1': 'error:UPSTREAM_UNAVAILABLE',
    });
    expect(run.stop.signal.aborted).toBe(true);
  });

  it('gives a device the wrapped source answered nothing for "no token"', async () => {
    // Prepare
    const h = fleetHarness();
    const list = devices(2);
    const run = h.runOf(list);
    const partial = {
      resolve: (ds: typeof list) =>
        new Map([
          [deviceId(ds[0] as never), h.ctx.inner.resolve(ds, run.request).get('pk/d0') as never],
        ]),
    };
    // Act
    await direct({ ...h.ctx, inner: partial as never }, run, ['pk/d0', 'pk/d1']);
    // Assess
    expect(await h.settled(run)).toEqual({
      'pk/d0': 'token:acct-tag',
      'pk/d1': 'failure:UPSTREAM_NO_TOKEN',
    });
  });

  it.each([
    ['refused', async (): Promise<boolean> => false, 'error:UPSTREAM_BUDGET_EXCEEDED'],
    [
      'unknown',
      (): Promise<boolean> => Promise.reject(new Error('down')),
      'error:UPSTREAM_UNAVAILABLE',
    ],
  ] as const)(
    'fails when an enforced budget’s reservation is %s: no direct login (issue 20 #6)',
    async (_case, reserveLogins, outcome) => {
      // Prepare: the read failed, so the direct login is all that is left.
      const budget = {
        perHour: 10,
        enforce: true,
        principalPercent: 100,
        onStoreFault: 'closed',
        batchSize: 20,
      } as const;
      const h = fleetHarness({ settings: { budget }, store: { reserveLogins } });
      const run = h.runOf(devices(2));
      // Act
      await direct(h.ctx, run, ['pk/d0', 'pk/d1']);
      // Assess
      expect(h.callsOf('reserveLogins')).toHaveLength(1);
      expect(h.logins).toEqual([]);
      expect(await h.settled(run)).toEqual({ 'pk/d0': outcome, 'pk/d1': outcome });
    },
  );

  it('rejects only the devices named', async () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf(devices(2));
    // Act
    fail(run, ['pk/d1'], Object.assign(new Error('x'), { code: 'BOOM' }));
    // Assess
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'pending', 'pk/d1': 'error:BOOM' });
    expect(run.stop.signal.aborted).toBe(true);
  });
});

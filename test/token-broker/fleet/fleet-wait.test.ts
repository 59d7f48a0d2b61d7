/**
 * The wait step alone (fleet-wait.ts), over an in-memory store and an
 * instant, recorded sleep: when it polls, what it does with each answer
 * (serve, our own late lease, another holder's lease, a free item), when
 * it stops waiting and logs in, and how a failed request ends it.
 */
import { describe, expect, it } from 'vitest';
import { MAX_POLL_FAULTS, waitFor } from '../../../functions/token-broker/fleet/fleet-wait.ts';
import type { StoreSnapshot } from '../../../functions/token-broker/store/token-store.ts';
import { snapshotOf } from '../../support/fake-token-store.ts';
import {
  devices,
  fleetHarness,
  heldToken,
  inTurn,
  leasedBy,
  T0,
  waitAll as wait,
} from '../../support/fleet-unit.ts';

const [D0, D1] = devices(2) as [never, never];

const tokenFor = (device: never, id: string) =>
  snapshotOf({ tokens: new Map([[id, heldToken(device, T0 + 10_000)]]) });
const down = new Error('store down');

describe('waitFor', () => {
  it('polls with growing pauses until the token appears, and serves it without a login', async () => {
    // Prepare
    const h = fleetHarness({
      store: {
        read: inTurn<StoreSnapshot>([
          leasedBy('other', 'pk/d0'),
          leasedBy('other', 'pk/d0'),
          tokenFor(D0, 'pk/d0'),
        ]),
      },
    });
    const run = h.runOf([D0]);
    // Act
    await wait(h, run, ['pk/d0']);
    // Assess
    expect(h.sleeps).toEqual([40, 60, 90]);
    expect(h.callsOf('read').map((c) => c[1])).toEqual([['pk/d0'], ['pk/d0'], ['pk/d0']]);
    expect(h.logins).toEqual([]);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag' });
    expect(run.stats.leaseWaits).toBe(1);
    expect(h.sum('LeaseWaits')).toBe(1);
  });

  it('polls only for the devices still waiting', async () => {
    // Prepare
    const both = snapshotOf({
      tokens: new Map([['pk/d0', heldToken(D0, T0 + 10_000)]]),
      leased: new Map([['pk/d1', 'other']]),
    });
    const h = fleetHarness({
      store: { read: inTurn<StoreSnapshot>([both, tokenFor(D1, 'pk/d1')]) },
    });
    const run = h.runOf([D0, D1]);
    // Act
    await wait(h, run, ['pk/d0', 'pk/d1']);
    // Assess
    expect(h.callsOf('read').map((c) => c[1])).toEqual([['pk/d0', 'pk/d1'], ['pk/d1']]);
    expect(h.sum('LeaseWaits')).toBe(2);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag', 'pk/d1': 'token:acct-tag' });
  });

  it.each([
    ['exactly at the first pause', 1_540, []],
    ['1 ms after it', 1_541, [40]],
  ])(
    'stops waiting and logs in itself once the next pause would reach the deadline less the login and store reserve: %s',
    async (_case, deadlineIn, sleeps) => {
      // Prepare: the reserve is loginReserveMs 1000 + afterLoginStoreMs 500.
      const h = fleetHarness({
        store: { read: inTurn<StoreSnapshot>([leasedBy('other', 'pk/d0')]) },
      });
      const run = h.runOf([D0], { deadline: T0 + deadlineIn });
      // Act
      await wait(h, run, ['pk/d0']);
      // Assess
      expect(h.sleeps).toEqual(sleeps);
      expect(h.logins).toEqual([['pk/d0']]);
      const [write] = h.callsOf('write');
      expect(write?.[2]).toBe('holder-1');
      expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag' });
    },
  );

  it('without a deadline, waits for another holder up to two leases and a second', async () => {
    // Prepare
    const h = fleetHarness({
      store: { read: inTurn<StoreSnapshot>([leasedBy('other', 'pk/d0')]) },
    });
    const run = h.runOf([D0]);
    // Act
    await wait(h, run, ['pk/d0']);
    // Assess
    const waited = h.sleeps.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(11_000);
    expect(waited + 120).toBeGreaterThanOrEqual(11_000);
    expect(h.logins).toEqual([['pk/d0']]);
  });

  it(`fails when ${MAX_POLL_FAULTS} polls in a row fault, logging in without the store`, async () => {
    // Prepare
    const h = fleetHarness({ store: { read: inTurn<StoreSnapshot>([down, down]) } });
    const run = h.runOf([D0]);
    // Act
    await wait(h, run, ['pk/d0']);
    // Assess
    expect(MAX_POLL_FAULTS).toBe(2);
    expect(h.callsOf('read')).toHaveLength(2);
    expect(h.logins).toEqual([['pk/d0']]);
    expect(h.callsOf('write')).toEqual([]);
    expect(h.callsOf('lease')).toEqual([]);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag' });
  });

  it('fails when one poll faults, yet keeps waiting, and a good poll between two faults starts the count again', async () => {
    // Prepare
    const h = fleetHarness({
      store: {
        read: inTurn<StoreSnapshot>([
          down,
          leasedBy('other', 'pk/d0'),
          down,
          tokenFor(D0, 'pk/d0'),
        ]),
      },
    });
    const run = h.runOf([D0]);
    // Act
    await wait(h, run, ['pk/d0']);
    // Assess
    expect(h.callsOf('read')).toHaveLength(4);
    expect(h.logins).toEqual([]);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag' });
  });

  it('logs in under its own holder a lease whose write timed out but landed', async () => {
    // Prepare
    const h = fleetHarness({
      store: { read: inTurn<StoreSnapshot>([leasedBy('holder-7', 'pk/d0', 'pk/d1')]) },
    });
    const run = h.runOf([D0, D1]);
    run.holders.add('holder-7');
    // Act
    await wait(h, run, ['pk/d0', 'pk/d1']);
    // Assess
    expect(h.logins).toEqual([['pk/d0', 'pk/d1']]);
    const [write] = h.callsOf('write');
    expect(write?.[2]).toBe('holder-7');
    expect(h.callsOf('read')).toHaveLength(1);
    expect(h.callsOf('lease')).toEqual([]);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag', 'pk/d1': 'token:acct-tag' });
  });

  it('fails when the request fails elsewhere: the wait ends quietly, asking nothing more', async () => {
    // Prepare
    const h = fleetHarness({
      store: { read: inTurn<StoreSnapshot>([leasedBy('other', 'pk/d0')]) },
    });
    const run = h.runOf([D0]);
    run.stop.abort();
    // Act
    await wait(h, run, ['pk/d0']);
    // Assess
    expect(h.callsOf('read')).toEqual([]);
    expect(h.logins).toEqual([]);
  });

  it('fails when the sleep is aborted by a stop, ending the wait without a throw', async () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf([D0]);
    const sleep = async () => {
      run.stop.abort();
      throw new Error('aborted');
    };
    // Act
    await waitFor({ ...h.ctx, sleep }, run, ['pk/d0'], new Set());
    // Assess
    expect(h.callsOf('read')).toEqual([]);
  });

  it("fails when the sleep rejects for the request's own signal, passing the error on", async () => {
    // Prepare
    const h = fleetHarness();
    const given = new AbortController();
    const run = h.runOf([D0], { signal: given.signal });
    let seen: AbortSignal | undefined;
    const sleep = async (_ms: number, signal?: AbortSignal) => {
      seen = signal;
      given.abort(new Error('client gone'));
      throw new Error('client gone');
    };
    // Act
    const act = waitFor({ ...h.ctx, sleep }, run, ['pk/d0'], new Set());
    // Assess
    await expect(act).rejects.toThrow('client gone');
    expect(seen?.aborted).toBe(true);
  });

  it('sleeps on a signal that aborts when the run stops', async () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf([D0]);
    let seen: AbortSignal | undefined;
    const sleep = async (_ms: number, signal?: AbortSignal) => {
      seen = signal;
      run.stop.abort();
      throw new Error('stopped');
    };
    // Act
    await waitFor({ ...h.ctx, sleep }, run, ['pk/d0'], new Set());
    // Assess
    expect(seen?.aborted).toBe(true);
  });
});

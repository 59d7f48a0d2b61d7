/**
 * The wait step's takeovers (fleet-wait.ts): a free item is leased by force
 * once, counted as a takeover when it was seen under another lease, and
 * logged in without the store if it is free again; a refused takeover
 * goes back to waiting. Over the same fakes as fleet-wait.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type {
  LeaseOutcomes,
  StoreEntry,
  StoreSnapshot,
} from '../../../functions/token-broker/store/token-store.ts';
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

describe('waitFor takeovers', () => {
  it('takes over a free item once, counting a takeover of a lease seen held, and writes it as a replacement', async () => {
    // Prepare
    const h = fleetHarness({ store: { read: inTurn<StoreSnapshot>([snapshotOf()]) } });
    const run = h.runOf([D0, D1]);
    // Act
    await wait(h, run, ['pk/d0', 'pk/d1'], new Set(['pk/d0']));
    // Assess
    const [lease] = h.callsOf('lease');
    expect(lease?.[1]).toEqual(['pk/d0', 'pk/d1']);
    expect(lease?.[2]).toMatchObject({
      mode: 'refresh',
      refreshNotBefore: Number.MAX_SAFE_INTEGER,
    });
    expect(h.sum('LeaseTakeovers')).toBe(1);
    const entries = (h.callsOf('write')[0]?.[1] ?? []) as StoreEntry[];
    expect(entries.map((e) => [e.deviceId, e.replace])).toEqual([
      ['pk/d0', true],
      ['pk/d1', true],
    ]);
    expect(h.callsOf('read')).toHaveLength(1);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag', 'pk/d1': 'token:acct-tag' });
  });

  it('counts no takeover of an item never seen leased', async () => {
    // Prepare
    const h = fleetHarness({ store: { read: inTurn<StoreSnapshot>([snapshotOf()]) } });
    const run = h.runOf([D0]);
    // Act
    await wait(h, run, ['pk/d0']);
    // Assess
    expect(h.points.map(([name]) => name)).not.toContain('LeaseTakeovers');
    expect(h.logins).toEqual([['pk/d0']]);
  });

  it('remembers a device it saw under another lease, so taking it over later counts', async () => {
    // Prepare
    const h = fleetHarness({
      store: { read: inTurn<StoreSnapshot>([leasedBy('other', 'pk/d0'), snapshotOf()]) },
    });
    const run = h.runOf([D0]);
    // Act
    await wait(h, run, ['pk/d0']);
    // Assess
    expect(h.sum('LeaseTakeovers')).toBe(1);
  });

  it('logs in without the store a device free again after it was taken over once', async () => {
    // Prepare
    const h = fleetHarness({ store: { read: inTurn<StoreSnapshot>([snapshotOf()]) } });
    const run = h.runOf([D0]);
    run.forced.add('pk/d0');
    // Act
    await wait(h, run, ['pk/d0']);
    // Assess
    expect(h.callsOf('lease')).toEqual([]);
    expect(h.callsOf('write')).toEqual([]);
    expect(h.logins).toEqual([['pk/d0']]);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag' });
  });

  it('goes on waiting for a device whose takeover lease was refused or unknown', async () => {
    // Prepare
    const refusedThenUnknown = inTurn<LeaseOutcomes>([
      { granted: new Set(), refused: new Set(['pk/d0']), unknown: new Set(['pk/d1']) },
    ]);
    const h = fleetHarness({
      store: {
        read: inTurn<StoreSnapshot>([
          snapshotOf(),
          snapshotOf({
            tokens: new Map([
              ['pk/d0', heldToken(D0, T0 + 10_000)],
              ['pk/d1', heldToken(D1, T0 + 10_000)],
            ]),
          }),
        ]),
        lease: refusedThenUnknown,
      },
    });
    const run = h.runOf([D0, D1]);
    // Act
    await wait(h, run, ['pk/d0', 'pk/d1']);
    // Assess
    expect(h.callsOf('read').map((c) => c[1])).toEqual([
      ['pk/d0', 'pk/d1'],
      ['pk/d0', 'pk/d1'],
    ]);
    expect(h.logins).toEqual([]);
    expect(await h.settled(run)).toEqual({ 'pk/d0': 'token:acct-tag', 'pk/d1': 'token:acct-tag' });
  });
});

/**
 * The fleet tier as a whole (fleet-tier.ts) over an in-memory store and a
 * fake wrapped login: the order of its steps, its guards, the store key's
 * failure, the breaker's event, and that no store call outlives an answer.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceKey } from '../../../functions/token-broker/device.ts';
import { emptyStats } from '../../../functions/token-broker/token-source.ts';
import { snapshotOf } from '../../support/fake-token-store.ts';
import { tier } from '../../support/fleet-tier-harness.ts';
import { ACCOUNT_KEY, devices, heldToken, T0 } from '../../support/fleet-unit.ts';

const [D0, D1, D2] = devices(3) as [DeviceKey, DeviceKey, DeviceKey];

describe('createFleetTier', () => {
  it('serves what the store holds with one read and no lease or login', async () => {
    // Prepare
    const t = tier({
      store: {
        read: async () =>
          snapshotOf({
            tokens: new Map([
              ['pk/d0', heldToken(D0, T0)],
              ['pk/d1', heldToken(D1, T0)],
            ]),
          }),
      },
    });
    // Act
    const out = await t.ask([D0, D1]);
    // Assess
    expect(out).toEqual({ 'pk/d0': 'token', 'pk/d1': 'token' });
    expect(t.calls.map((c) => c.op)).toEqual(['read']);
    expect(t.callsOf('read')[0]?.slice(0, 2)).toEqual([ACCOUNT_KEY, ['pk/d0', 'pk/d1']]);
    expect(t.logins).toEqual([]);
    expect(t.sum('StoreMisses')).toBe(0);
  });

  it('leases the misses under a holder of this process, logs them in, writes them, and counts the misses', async () => {
    // Prepare
    const t = tier({
      store: { read: async () => snapshotOf({ tokens: new Map([['pk/d0', heldToken(D0, T0)]]) }) },
    });
    // Act
    const out = await t.ask([D0, D1, D2]);
    const again = await t.ask([D0]);
    // Assess
    expect(out).toEqual({ 'pk/d0': 'token', 'pk/d1': 'token', 'pk/d2': 'token' });
    expect(again).toEqual({ 'pk/d0': 'token' });
    expect(t.sum('StoreMisses')).toBe(2);
    expect(t.logins).toEqual([['pk/d1', 'pk/d2']]);
    const [lease] = t.callsOf('lease');
    expect(lease?.[1]).toEqual(['pk/d1', 'pk/d2']);
    const holder = (lease?.[2] as { holder: string } | undefined)?.holder;
    expect(holder).toMatch(/^[A-Za-z0-9_-]{8}\.1$/);
    expect(t.callsOf('write')[0]?.[2]).toBe(holder);
    expect(t.storesMade).toHaveLength(1);
  });

  it('numbers the holders of one process in turn', async () => {
    // Prepare
    const t = tier();
    // Act
    await t.ask([D0]);
    await t.ask([D1]);
    // Assess
    const holders = t.callsOf('lease').map((c) => (c[2] as { holder: string }).holder);
    expect(holders[0]?.split('.')[1]).toBe('1');
    expect(holders[1]).toBe(`${holders[0]?.split('.')[0]}.2`);
  });

  it('fails when the store read faults, logging every device in directly', async () => {
    // Prepare
    const t = tier({ store: { read: () => Promise.reject(new Error('down')) } });
    // Act
    const out = await t.ask([D0, D1]);
    // Assess
    expect(out).toEqual({ 'pk/d0': 'token', 'pk/d1': 'token' });
    expect(t.logins).toEqual([['pk/d0', 'pk/d1']]);
    expect(t.calls.map((c) => c.op)).toEqual(['read']);
  });

  it('fails when the store key cannot be read: a warning, then the wrapped login with no store call', async () => {
    // Prepare
    const t = tier({
      keys: () => Promise.reject(Object.assign(new Error('x'), { code: 'AccessDenied' })),
    });
    const stats = emptyStats();
    // Act
    const out = await t.ask([D0, D1], { stats });
    // Assess
    expect(out).toEqual({ 'pk/d0': 'token', 'pk/d1': 'token' });
    expect(t.calls).toEqual([]);
    expect(t.logins).toEqual([['pk/d0', 'pk/d1']]);
    expect(stats.storeErrors).toBe(1);
    expect(t.logger.lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ operation: 'key', reason: 'AccessDenied' }),
    );
  });

  it('waits for the devices another holder leased, seen as leased in the first read', async () => {
    // Prepare
    let reads = 0;
    const t = tier({
      store: {
        read: async () =>
          ++reads === 1
            ? snapshotOf({ leased: new Map([['pk/d0', 'other']]) })
            : snapshotOf({ tokens: new Map([['pk/d0', heldToken(D0, T0)]]) }),
        lease: async () => ({
          granted: new Set(),
          refused: new Set(['pk/d0']),
          unknown: new Set(),
        }),
      },
    });
    const stats = emptyStats();
    // Act
    const out = await t.ask([D0], { stats });
    // Assess
    expect(out).toEqual({ 'pk/d0': 'token' });
    expect(t.logins).toEqual([]);
    expect(stats.leaseWaits).toBe(1);
    expect(t.callsOf('read')).toHaveLength(2);
  });

  it('waits, too, for the devices whose lease outcome is unknown', async () => {
    // Prepare
    let reads = 0;
    const t = tier({
      store: {
        read: async () =>
          ++reads === 1
            ? snapshotOf()
            : snapshotOf({ tokens: new Map([['pk/d1', heldToken(D1, T0)]]) }),
        lease: async () => ({
          granted: new Set(['pk/d0']),
          refused: new Set(),
          unknown: new Set(['pk/d1']),
        }),
      },
    });
    // Act
    const out = await t.ask([D0, D1]);
    // Assess
    expect(out).toEqual({ 'pk/d0': 'token', 'pk/d1': 'token' });
    expect(t.logins).toEqual([['pk/d0']]);
    expect(t.callsOf('read').map((c) => c[1])).toEqual([['pk/d0', 'pk/d1'], ['pk/d1']]);
  });

  it('answers no device before the store calls it started have ended', async () => {
    // Prepare
    let release: () => void = () => {};
    const slowWrite = new Promise<void>((resolve) => {
      release = resolve;
    });
    const t = tier({
      store: {
        write: async (_a, entries) => {
          await slowWrite;
          return { written: new Set(entries.map((e) => e.deviceId)) };
        },
      },
    });
    let answered = false;
    // Act
    const pending = t.source.resolve([D0], t.request());
    void pending.get('pk/d0')?.then(() => {
      answered = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const early = answered;
    release();
    await pending.get('pk/d0');
    // Assess
    expect(early).toBe(false);
    expect(answered).toBe(true);
  });

  it('fails a device no step settled (a store that answered nothing for it) as "no token", never hanging', async () => {
    // Prepare
    const t = tier({
      store: {
        lease: async () => ({
          granted: new Set(['pk/d0']),
          refused: new Set(),
          unknown: new Set(),
        }),
      },
    });
    // Act
    const out = await t.ask([D0, D1]);
    // Assess
    expect(out).toEqual({ 'pk/d0': 'token', 'pk/d1': 'failure:UPSTREAM_NO_TOKEN' });
  });
  it('counts a takeover only of a device the first read saw under another lease', async () => {
    // Prepare: d0 leased by another holder, d1's lease outcome unknown; then both are free.
    let reads = 0;
    let leases = 0;
    const t = tier({
      store: {
        read: async () =>
          ++reads === 1 ? snapshotOf({ leased: new Map([['pk/d0', 'other']]) }) : snapshotOf(),
        lease: async (_a, ids) =>
          ++leases === 1
            ? { granted: new Set(), refused: new Set(['pk/d0']), unknown: new Set(['pk/d1']) }
            : { granted: new Set(ids), refused: new Set(), unknown: new Set() },
      },
    });
    // Act
    const out = await t.ask([D0, D1]);
    // Assess
    expect(out).toEqual({ 'pk/d0': 'token', 'pk/d1': 'token' });
    expect(t.callsOf('lease').map((c) => c[1])).toEqual([
      ['pk/d0', 'pk/d1'],
      ['pk/d0', 'pk/d1'],
    ]);
    expect(t.sum('LeaseTakeovers')).toBe(1);
  });
});

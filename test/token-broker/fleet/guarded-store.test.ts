/**
 * The fleet tier's fault policy around the store port (guarded-store.ts):
 * nothing rejects, a fault is one warning and one counted metric with a
 * short reason, every call's latency is recorded once, and calls with
 * nothing to do never reach the store.
 */
import { describe, expect, it } from 'vitest';
import {
  guardStore,
  reportStoreFault,
  storeFaultReason,
} from '../../../functions/token-broker/fleet/guarded-store.ts';
import type { Metrics } from '../../../functions/token-broker/metrics.ts';
import { TokenStoreError } from '../../../functions/token-broker/store/token-store-errors.ts';
import { emptyStats } from '../../../functions/token-broker/token-source.ts';
import { fakeTokenStore, snapshotOf } from '../../support/fake-token-store.ts';
import { captureLogger } from '../../support/fakes.ts';

const OPTS = { now: 1_000 };

/** A metrics port that keeps every data point. */
const recordingMetrics = () => {
  const points: Array<[string, number, string | undefined]> = [];
  const metrics: Metrics = {
    add: (metric, value = 1, code) => void points.push([metric.name, value, code]),
    flush() {},
  };
  return { metrics, points, named: (name: string) => points.filter(([n]) => n === name) };
};

/** Wiring of one guarded store: a clock that advances 7 ms per reading. */
const setup = (script: Parameters<typeof fakeTokenStore>[0] = {}) => {
  const fake = fakeTokenStore(script);
  const logger = captureLogger();
  const recorded = recordingMetrics();
  let clock = 0;
  const now = () => (clock += 7);
  const stats = emptyStats();
  const store = guardStore(fake.store, { logger, metrics: recorded.metrics, now }, stats);
  const warnings = () => logger.lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn');
  return { ...fake, ...recorded, logger, stats, store, warnings };
};

const refused = () => Promise.reject(new TokenStoreError('store down', 'ECONNREFUSED'));

describe('storeFaultReason', () => {
  it.each([
    ['a TokenStoreError', new TokenStoreError('x', 'DEADLINE_EXCEEDED'), 'DEADLINE_EXCEEDED'],
    ['an error with a string code', Object.assign(new Error('x'), { code: 'EPIPE' }), 'EPIPE'],
    ['a plain object with a code', { code: 'ETIMEDOUT' }, 'ETIMEDOUT'],
    [
      'a named SDK error',
      Object.assign(new Error('x'), { name: 'ThrottlingException' }),
      'ThrottlingException',
    ],
    ['an error with a numeric code', Object.assign(new Error('x'), { code: 42 }), 'UNKNOWN'],
    ['null', null, 'UNKNOWN'],
    ['a string', 'boom', 'UNKNOWN'],
  ])('names %s by a short reason', (_case, error, reason) => {
    // Act
    const actual = storeFaultReason(error);
    // Assess
    expect(actual).toBe(reason);
  });
});

describe('reportStoreFault', () => {
  it('warns with the operation and reason, counts the request and the metric', () => {
    // Prepare
    const { logger, metrics, points, stats } = setup();
    // Act
    reportStoreFault(
      { logger, metrics, now: () => 0 },
      stats,
      'lease',
      new TokenStoreError('m', 'ECONNREFUSED'),
    );
    reportStoreFault({ logger, metrics, now: () => 0 }, stats, 'read', { code: 'EPIPE' });
    // Assess
    const lines = logger.lines.map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      message: 'token store unavailable; serving without it',
      operation: 'lease',
      reason: 'ECONNREFUSED',
    });
    expect(lines[1]).toMatchObject({ operation: 'read', reason: 'EPIPE' });
    expect(stats.storeErrors).toBe(2);
    expect(points).toEqual([
      ['StoreErrors', 1, 'ECONNREFUSED'],
      ['StoreErrors', 1, 'EPIPE'],
    ]);
  });

  it('counts the metric when the request keeps no counters', () => {
    // Prepare
    const { logger, metrics, points } = setup();
    // Act
    reportStoreFault({ logger, metrics, now: () => 0 }, undefined, 'key', { code: 'EPIPE' });
    // Assess
    expect(points).toEqual([['StoreErrors', 1, 'EPIPE']]);
  });
});

describe('guardStore', () => {
  it('records the latency of each call once, from its own clock readings', async () => {
    // Prepare
    const { store, named } = setup();
    // Act
    await store.read('acct', ['p/a'], OPTS);
    await store.countLogins('acct', 1, OPTS);
    // Assess
    expect(named('StoreLatency')).toEqual([
      ['StoreLatency', 7, undefined],
      ['StoreLatency', 7, undefined],
    ]);
  });

  it('passes every argument through and answers what the store answered', async () => {
    // Prepare
    const { store, calls } = setup({
      countLogins: async () => 41,
      reserveLogins: async () => false,
    });
    const request = { holder: 'h', leaseMs: 1, mode: 'miss', minValidUntil: 2 } as const;
    // Act
    const total = await store.countLogins('acct', 3, OPTS);
    const reserved = await store.reserveLogins('acct', { logins: 1, accountMax: 2 }, OPTS);
    const leased = await store.lease('acct', ['p/a'], request, OPTS);
    await store.openCircuit('acct', 99, OPTS);
    await store.release('acct', ['p/a'], 'h', OPTS);
    // Assess
    expect(total).toBe(41);
    expect(reserved).toBe(false);
    expect([...leased.granted]).toEqual(['p/a']);
    expect(calls).toEqual([
      { op: 'countLogins', args: ['acct', 3, OPTS] },
      { op: 'reserveLogins', args: ['acct', { logins: 1, accountMax: 2 }, OPTS] },
      { op: 'lease', args: ['acct', ['p/a'], request, OPTS] },
      { op: 'openCircuit', args: ['acct', 99, OPTS] },
      { op: 'release', args: ['acct', ['p/a'], 'h', OPTS] },
    ]);
  });

  it('fails when the store rejects, as undefined for read, count, reserve and release, with one warning each', async () => {
    // Prepare
    const { store, stats, warnings, named } = setup({
      read: refused,
      countLogins: refused,
      reserveLogins: refused,
      release: refused,
      openCircuit: refused,
    });
    // Act
    const answers = [
      await store.read('acct', ['p/a'], OPTS),
      await store.countLogins('acct', 1, OPTS),
      await store.reserveLogins('acct', { logins: 1, accountMax: 2 }, OPTS),
      await store.release('acct', ['p/a'], 'h', OPTS),
      await store.openCircuit('acct', 1, OPTS),
    ];
    // Assess
    expect(answers).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(warnings().map((w) => w.operation)).toEqual([
      'read',
      'countLogins',
      'reserveLogins',
      'release',
      'openCircuit',
    ]);
    expect(stats.storeErrors).toBe(5);
    expect(named('StoreErrors')).toHaveLength(5);
    expect(named('StoreLatency')).toHaveLength(5);
  });

  it('fails when the lease call rejects, as every device unknown, none granted or refused', async () => {
    // Prepare
    const { store, warnings } = setup({ lease: refused });
    const request = { holder: 'h', leaseMs: 1, mode: 'miss', minValidUntil: 2 } as const;
    // Act
    const out = await store.lease('acct', ['p/a', 'p/b'], request, OPTS);
    // Assess
    expect([...out.unknown]).toEqual(['p/a', 'p/b']);
    expect(out.granted.size).toBe(0);
    expect(out.refused.size).toBe(0);
    expect(warnings()).toEqual([
      expect.objectContaining({ operation: 'lease', reason: 'ECONNREFUSED' }),
    ]);
  });

  it('fails when some leases fault, keeping the ones that went through and warning once', async () => {
    // Prepare
    const fault = new TokenStoreError('slow', 'DEADLINE_EXCEEDED');
    const { store, warnings } = setup({
      lease: async () => ({
        granted: new Set(['p/a']),
        refused: new Set(['p/b']),
        unknown: new Set(['p/c']),
        fault,
      }),
    });
    const request = { holder: 'h', leaseMs: 1, mode: 'miss', minValidUntil: 2 } as const;
    // Act
    const out = await store.lease('acct', ['p/a', 'p/b', 'p/c'], request, OPTS);
    // Assess
    expect([...out.granted]).toEqual(['p/a']);
    expect([...out.unknown]).toEqual(['p/c']);
    expect(warnings()).toEqual([
      expect.objectContaining({ operation: 'lease', reason: 'DEADLINE_EXCEEDED' }),
    ]);
  });

  it('leases without a warning when no lease faulted', async () => {
    // Prepare
    const { store, warnings } = setup();
    const request = { holder: 'h', leaseMs: 1, mode: 'miss', minValidUntil: 2 } as const;
    // Act
    await store.lease('acct', ['p/a'], request, OPTS);
    // Assess
    expect(warnings()).toEqual([]);
  });

  it('answers the ids written, and fails when some writes fault, leaving them out with one warning', async () => {
    // Prepare
    const token = { visualToken: 'a.b.c', expiresAt: 5 };
    const ok = setup();
    const partly = setup({
      write: async () => ({
        written: new Set(['p/a']),
        fault: new TokenStoreError('slow', 'DEADLINE_EXCEEDED'),
      }),
    });
    const down = setup({ write: refused });
    const entries = [
      { deviceId: 'p/a', token },
      { deviceId: 'p/b', token },
    ];
    // Act
    const all = await ok.store.write('acct', entries, 'h', OPTS);
    const some = await partly.store.write('acct', entries, 'h', OPTS);
    const none = await down.store.write('acct', entries, 'h', OPTS);
    // Assess
    expect([...all]).toEqual(['p/a', 'p/b']);
    expect(ok.warnings()).toEqual([]);
    expect([...some]).toEqual(['p/a']);
    expect(partly.warnings()).toEqual([expect.objectContaining({ operation: 'write' })]);
    expect(none.size).toBe(0);
    expect(down.warnings()).toEqual([expect.objectContaining({ operation: 'write' })]);
  });

  it('asks nothing of the store for an empty write or release', async () => {
    // Prepare
    const { store, calls, named } = setup();
    // Act
    const written = await store.write('acct', [], 'h', OPTS);
    await store.release('acct', [], 'h', OPTS);
    // Assess
    expect(written.size).toBe(0);
    expect(calls).toEqual([]);
    expect(named('StoreLatency')).toEqual([]);
  });

  it('warns with counts only, and counts each reason, when read items are unreadable', async () => {
    // Prepare
    const { store, warnings, named } = setup({
      read: async () =>
        snapshotOf({
          unreadable: new Map([
            ['sealed', 2],
            ['typed', 1],
          ]),
        }),
    });
    // Act
    const snapshot = await store.read('acct', ['p/a', 'p/b', 'p/c'], OPTS);
    // Assess
    expect(snapshot?.unreadable.get('sealed')).toBe(2);
    expect(warnings()).toEqual([
      expect.objectContaining({
        message: 'token store items unreadable',
        reasons: { sealed: 2, typed: 1 },
      }),
    ]);
    expect(named('StoreUnreadable')).toEqual([
      ['StoreUnreadable', 2, 'sealed'],
      ['StoreUnreadable', 1, 'typed'],
    ]);
  });

  it('reads without a warning when every item was readable', async () => {
    // Prepare
    const { store, warnings, named } = setup();
    // Act
    await store.read('acct', ['p/a'], OPTS);
    // Assess
    expect(warnings()).toEqual([]);
    expect(named('StoreUnreadable')).toEqual([]);
  });
});

/**
 * A run's store call options and counters (fleet-run.ts): the request's
 * signal and a budget of its own combine, the clock is read per call, and
 * a count lands in both the request's stats and the metric of its name.
 */
import { describe, expect, it } from 'vitest';
import {
  afterLogin,
  callOptions,
  devicesOf,
  tally,
} from '../../../functions/token-broker/fleet/fleet-run.ts';
import { devices, fleetHarness, T0 } from '../../support/fleet-unit.ts';

describe('callOptions', () => {
  it('carries the clock only, without a signal or a budget', () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf(devices(1));
    h.advance(123);
    // Act
    const opts = callOptions(h.ctx, run);
    // Assess
    expect(opts).toEqual({ now: T0 + 123 });
    expect('signal' in opts).toBe(false);
  });

  it("passes the request's own signal through unchanged", () => {
    // Prepare
    const h = fleetHarness();
    const given = new AbortController();
    const run = h.runOf(devices(1), { signal: given.signal });
    // Act
    const opts = callOptions(h.ctx, run);
    // Assess
    expect(opts.signal).toBe(given.signal);
  });

  it('fails when its own budget passes, with a timeout, though the request goes on', async () => {
    // Prepare
    const h = fleetHarness();
    const given = new AbortController();
    const run = h.runOf(devices(1), { signal: given.signal });
    // Act
    const opts = callOptions(h.ctx, run, 5);
    await new Promise((resolve) => setTimeout(resolve, 40));
    // Assess
    expect(opts.signal?.aborted).toBe(true);
    expect(opts.signal?.reason).toMatchObject({ name: 'TimeoutError' });
    expect(given.signal.aborted).toBe(false);
  });

  it('fails when the request aborts, before its own budget passes', () => {
    // Prepare
    const h = fleetHarness();
    const given = new AbortController();
    const run = h.runOf(devices(1), { signal: given.signal });
    const opts = callOptions(h.ctx, run, 60_000);
    // Act
    given.abort(new Error('request gone'));
    // Assess
    expect(opts.signal).not.toBe(given.signal);
    expect(opts.signal?.aborted).toBe(true);
    expect(opts.signal?.reason).toMatchObject({ message: 'request gone' });
  });

  it('gives a budget-only call a signal of its own when the request has none', async () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf(devices(1));
    // Act
    const opts = callOptions(h.ctx, run, 5);
    const before = opts.signal?.aborted;
    await new Promise((resolve) => setTimeout(resolve, 40));
    // Assess
    expect(before).toBe(false);
    expect(opts.signal?.aborted).toBe(true);
  });
});

describe('afterLogin', () => {
  it('bounds the write and release by afterLoginStoreMs', async () => {
    // Prepare
    const h = fleetHarness({ settings: { afterLoginStoreMs: 5 } });
    const run = h.runOf(devices(1));
    // Act
    const opts = afterLogin(h.ctx, run);
    await new Promise((resolve) => setTimeout(resolve, 40));
    // Assess
    expect(opts.now).toBe(T0);
    expect(opts.signal?.aborted).toBe(true);
  });

  it('leaves a call within afterLoginStoreMs running', async () => {
    // Prepare
    const h = fleetHarness({ settings: { afterLoginStoreMs: 60_000 } });
    const run = h.runOf(devices(1));
    // Act
    const opts = afterLogin(h.ctx, run);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Assess
    expect(opts.signal?.aborted).toBe(false);
  });
});

describe('devicesOf and tally', () => {
  it("maps ids back to the run's devices, in the order given", () => {
    // Prepare
    const h = fleetHarness();
    const list = devices(3);
    const run = h.runOf(list);
    // Act
    const found = devicesOf(run, ['pk/d2', 'pk/d0']);
    // Assess
    expect(found).toEqual([list[2], list[0]]);
  });

  it('adds to the stats field and the metric of the same name', () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf(devices(1));
    // Act
    tally(h.ctx, run, 'leaseWaits', 2);
    tally(h.ctx, run, 'leaseWaits', 3);
    tally(h.ctx, run, 'storeHits', 1);
    // Assess
    expect(run.stats.leaseWaits).toBe(5);
    expect(run.stats.storeHits).toBe(1);
    expect(h.points).toEqual([
      ['LeaseWaits', 2, undefined],
      ['LeaseWaits', 3, undefined],
      ['StoreHits', 1, undefined],
    ]);
  });

  it('counts nothing, not even a 0, for a count of 0', () => {
    // Prepare
    const h = fleetHarness();
    const run = h.runOf(devices(1));
    // Act
    tally(h.ctx, run, 'leasesTaken', 0);
    // Assess
    expect('leasesTaken' in run.stats).toBe(false);
    expect(h.points).toEqual([]);
  });
});

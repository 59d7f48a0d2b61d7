/** How a waiter paces its polls and when it stops waiting (lease-wait.ts). */
import { describe, expect, it } from 'vitest';
import {
  POLL_DELAY_MS,
  pollDelayMs,
  waitBudget,
} from '../../../functions/token-broker/fleet/lease-wait.ts';

describe('pollDelayMs', () => {
  it('grows by half each round from 40 ms to a ceiling of 120 ms, at the middle of the jitter', () => {
    // Act
    const delays = [0, 1, 2, 3, 4, 10].map((round) => pollDelayMs(round, () => 0.5));
    // Assess
    expect(POLL_DELAY_MS).toEqual({ first: 40, max: 120 });
    expect(delays).toEqual([40, 60, 90, 120, 120, 120]);
  });

  it('scales each pause into [0.75, 1.25) of its base', () => {
    // Act
    const low = [0, 1, 2, 3].map((round) => pollDelayMs(round, () => 0));
    const high = [0, 1, 2, 3].map((round) => pollDelayMs(round, () => 0.999));
    // Assess
    expect(low).toEqual([30, 45, 68, 90]);
    expect(high).toEqual([50, 75, 112, 150]);
  });
});

describe('waitBudget', () => {
  it('stops waiting a login reserve before the deadline', () => {
    // Act
    const until = waitBudget(1_000, 9_000, 5_000, 1_500);
    // Assess
    expect(until).toBe(7_500);
  });

  it('without a deadline, waits two leases and a second past the start', () => {
    // Act
    const until = waitBudget(1_000, undefined, 5_000, 1_500);
    // Assess
    expect(until).toBe(12_000);
  });
});

/**
 * The fleet's brakes as pure decisions (fleet-guards.ts): the shared
 * circuit's refusal and its Retry-After, the hourly budget's refusal, and
 * the reservation a batch of devices makes. The store calls around them
 * are tested in fleet-circuit-budget.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  type BudgetSettings,
  budgetSpent,
  budgetUnknown,
  checkBudgetSpent,
  checkSharedCircuit,
  loginsFor,
  reservationFor,
} from '../../../functions/token-broker/fleet/fleet-guards.ts';
import type { StoreSnapshot } from '../../../functions/token-broker/store/token-store.ts';

const HOUR = 3_600_000;
const AT = Date.UTC(2026, 0, 1, 10, 0, 0);

const snapshot = (over: Partial<StoreSnapshot> = {}): StoreSnapshot => ({
  tokens: new Map(),
  leased: new Map(),
  unreadable: new Map(),
  ...over,
});

const budget = (over: Partial<BudgetSettings> = {}): BudgetSettings => ({
  perHour: 10,
  enforce: true,
  principalPercent: 50,
  onStoreFault: 'closed',
  batchSize: 20,
  ...over,
});

/** The error `act` throws, or `undefined`. */
const thrown = (act: () => void): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('checkSharedCircuit', () => {
  it.each([
    ['there is no marker', undefined],
    ['the marker lies in the past', AT - 1],
    ['the marker ends right now', AT],
  ])('lets the request through when %s', (_case, circuitOpenUntil) => {
    // Prepare
    const snap = snapshot(circuitOpenUntil === undefined ? {} : { circuitOpenUntil });
    // Act
    const error = thrown(() => checkSharedCircuit(snap, AT, 30_000));
    // Assess
    expect(error).toBeUndefined();
  });

  it.each([
    ['1 ms ahead', 1, 1],
    ['2.5 s ahead', 2_500, 3],
    ['exactly the cooldown ahead', 30_000, 30],
    ['far past the cooldown (a tampered marker)', 10 * HOUR, 30],
  ])('fails when the marker is %s, with Retry-After in whole seconds', (_case, ahead, seconds) => {
    // Prepare
    const snap = snapshot({ circuitOpenUntil: AT + ahead });
    // Act
    const error = thrown(() => checkSharedCircuit(snap, AT, 30_000));
    // Assess
    expect(error).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      retryAfterSeconds: seconds,
      message: 'The upstream circuit is open fleet-wide',
    });
  });
});

describe('checkBudgetSpent', () => {
  it.each([
    ['the budget is not enforced', budget({ enforce: false }), 10],
    ['the budget is 0 (off)', budget({ perHour: 0 }), 10],
    ['the counter does not exist yet', budget(), undefined],
    ['one login is left', budget(), 9],
  ])('lets the request through when %s', (_case, settings, loginsThisHour) => {
    // Prepare
    const snap = snapshot(loginsThisHour === undefined ? {} : { loginsThisHour });
    // Act
    const error = thrown(() => checkBudgetSpent(snap, settings, AT));
    // Assess
    expect(error).toBeUndefined();
  });

  it.each([
    ['reached', 10],
    ['passed', 11],
  ])('fails when an enforced budget is %s, until the next UTC hour', (_case, loginsThisHour) => {
    // Prepare
    const snap = snapshot({ loginsThisHour });
    // Act
    const error = thrown(() => checkBudgetSpent(snap, budget(), AT + 15 * 60_000));
    // Assess
    expect(error).toMatchObject({
      code: 'UPSTREAM_BUDGET_EXCEEDED',
      retryAfterSeconds: 45 * 60,
      message: 'The login budget (10/h) or a caller share is spent',
    });
  });
});

describe('budgetSpent and budgetUnknown', () => {
  it.each([
    ['at the top of the hour', 0, 3600],
    ['1 ms past it', 1, 3600],
    ['half a second before the next', HOUR - 500, 1],
    ['1 ms before the next', HOUR - 1, 1],
  ])('gives Retry-After to the next UTC hour, at least 1 s: %s', (_case, into, seconds) => {
    // Act
    const error = budgetSpent(budget({ perHour: 7 }), AT + into);
    // Assess
    expect(error).toMatchObject({ code: 'UPSTREAM_BUDGET_EXCEEDED', retryAfterSeconds: seconds });
    expect(error.message).toContain('(7/h)');
  });

  it('fails closed on an unknown budget with a short Retry-After', () => {
    // Act
    const error = budgetUnknown();
    // Assess
    expect(error).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      retryAfterSeconds: 5,
      message: 'The login budget cannot be checked',
    });
  });
});

describe('loginsFor and reservationFor', () => {
  it.each([
    [1, 1],
    [20, 1],
    [21, 2],
    [40, 2],
  ])('counts %i devices as %i login calls of 20', (devices, calls) => {
    // Act
    const logins = loginsFor(devices, budget());
    // Assess
    expect(logins).toBe(calls);
  });

  it("reserves the account's budget and the caller's share, rounded down", () => {
    // Act
    const reservation = reservationFor(21, budget({ perHour: 15, principalPercent: 50 }), 'p-key');
    // Assess
    expect(reservation).toEqual({
      logins: 2,
      accountMax: 15,
      principal: { key: 'p-key', max: 7 },
    });
  });

  it('gives a caller a share of at least 1 login', () => {
    // Act
    const reservation = reservationFor(1, budget({ perHour: 3, principalPercent: 10 }), 'p-key');
    // Assess
    expect(reservation.principal).toEqual({ key: 'p-key', max: 1 });
  });

  it('reserves no share when the caller is unknown', () => {
    // Act
    const reservation = reservationFor(1, budget());
    // Assess
    expect(reservation).toEqual({ logins: 1, accountMax: 10 });
    expect('principal' in reservation).toBe(false);
  });
});

/**
 * The fleet's two brakes, decided from the store: the shared circuit (one
 * container's open breaker refuses misses fleet-wide) and the hourly login
 * budget (counted for the alarm, optionally enforced, per account and per
 * caller). Pure decisions; the store calls are the tier's.
 */
import { UpstreamBudgetExceededError, UpstreamUnavailableError } from '../errors.ts';
import type { LoginReservation, StoreSnapshot } from '../store/token-store.ts';

const HOUR_MS = 3_600_000;

/** What a store fault means for an enforced budget (`LOGIN_BUDGET_ON_STORE_FAULT`). */
export const BUDGET_FAULT_RULES = { closed: 'closed', open: 'open' } as const;

/** A rule of {@link BUDGET_FAULT_RULES}. */
export type BudgetFaultRule = (typeof BUDGET_FAULT_RULES)[keyof typeof BUDGET_FAULT_RULES];

/** The budget settings. */
export interface BudgetSettings {
  /** Logins per account per UTC hour; 0 counts nothing. */
  readonly perHour: number;
  /** Past the budget, misses are refused. */
  readonly enforce: boolean;
  /** Most of the budget one caller may spend, percent (`LOGIN_BUDGET_PRINCIPAL_PERCENT`). */
  readonly principalPercent: number;
  /** An enforced budget that cannot be read: refuse (closed) or log in anyway (open). */
  readonly onStoreFault: BudgetFaultRule;
  /** Devices per upstream login call: how many calls a batch of devices costs. */
  readonly batchSize: number;
}

/** Seconds to the next UTC hour, at least 1: the budget's `Retry-After`. */
const secondsToNextHour = (at: number) =>
  Math.max(1, Math.ceil(((Math.floor(at / HOUR_MS) + 1) * HOUR_MS - at) / 1000));

/**
 * Throws when the shared circuit is open. A marker further out than the
 * circuit's own cooldown (a tampered or foreign item) counts as the cooldown.
 */
export function checkSharedCircuit(snapshot: StoreSnapshot, at: number, maxOpenMs: number): void {
  const until = snapshot.circuitOpenUntil ?? 0;
  if (until <= at) return;
  const waitMs = Math.min(until - at, maxOpenMs);
  throw new UpstreamUnavailableError(
    'The upstream circuit is open fleet-wide',
    Math.max(1, Math.ceil(waitMs / 1000)),
  );
}

/** Whether `budget` refuses logins past its limit: enforced, with a limit. */
export const isEnforced = (budget: BudgetSettings): boolean => budget.enforce && budget.perHour > 0;

/** Throws when an enforced budget is already spent, as the snapshot counts it. */
export function checkBudgetSpent(
  snapshot: StoreSnapshot,
  budget: BudgetSettings,
  at: number,
): void {
  const spent = snapshot.loginsThisHour;
  if (!isEnforced(budget) || spent === undefined || spent < budget.perHour) return;
  throw budgetSpent(budget, at);
}

/** The error of a spent budget. */
export const budgetSpent = (budget: BudgetSettings, at: number) =>
  new UpstreamBudgetExceededError(
    `The login budget (${budget.perHour}/h) or a caller share is spent`,
    secondsToNextHour(at),
  );

/** The error of an enforced budget that could not be checked (fail closed). */
export const budgetUnknown = () =>
  new UpstreamUnavailableError('The login budget cannot be checked', 5);

/** Login calls that `devices` devices cost at most. */
export const loginsFor = (devices: number, budget: BudgetSettings) =>
  Math.ceil(devices / budget.batchSize);

/** The reservation of `devices` devices' logins, with the caller's share when the caller is known. */
export function reservationFor(
  devices: number,
  budget: BudgetSettings,
  principalKey?: string,
): LoginReservation {
  const logins = loginsFor(devices, budget);
  const share = Math.max(1, Math.floor((budget.perHour * budget.principalPercent) / 100));
  return {
    logins,
    accountMax: budget.perHour,
    ...(principalKey === undefined ? {} : { principal: { key: principalKey, max: share } }),
  };
}

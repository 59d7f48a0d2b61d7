/**
 * Per-account alarms and dashboard rows (issue 18). With several routed
 * accounts the function publishes its per-account metrics with the
 * dimensions [FunctionName, Account] too, beside [FunctionName]; each
 * account has its own breaker, budget and shared circuit, so each is watched
 * on its own. With one account the function publishes no such metric, and
 * nothing here is made.
 */
import { Duration } from 'aws-cdk-lib';
import {
  GraphWidget,
  type IWidget,
  type Metric,
  type MetricOptions,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ACCOUNT_DIMENSION } from '../functions/token-broker/metrics.ts';
import {
  BROKER_METRICS,
  type BrokerMetricName,
  brokerMetric,
  type TokenBrokerAlarmOptions,
  WATCH_PERIOD,
} from './broker-alarms.ts';

/** What the per-account alarms and rows watch. */
export interface AccountWatchTargets {
  /** The broker function. */
  readonly function: IFunction;
  /** The routed accounts' names; per-account metrics exist only with more than one. */
  readonly accounts: readonly string[];
  /** Whether the token store is on: the fleet's hourly count and the budget exist only then. */
  readonly tokenStore: boolean;
  /** Each account's hourly login budget; 0 makes no budget alarm. */
  readonly loginBudgetPerHour: number;
}

/** Whether the function publishes per-account metrics: only with several routed accounts. */
export const watchesAccounts = (t: Pick<AccountWatchTargets, 'accounts'>): boolean =>
  t.accounts.length > 1;

/** One of the function's EMF metrics, for one account of this function. */
export function accountMetric(
  fn: IFunction,
  name: BrokerMetricName,
  account: string,
  options: MetricOptions = {},
): Metric {
  return brokerMetric(fn, name, {
    ...options,
    dimensionsMap: { [BROKER_METRICS.dimension]: fn.functionName, [ACCOUNT_DIMENSION]: account },
  });
}

/** Each account's alarms, by account and id, for `addAlarm` to create. */
export function accountAlarms(
  t: AccountWatchTargets,
): Array<[account: string, id: string, options: TokenBrokerAlarmOptions]> {
  if (!watchesAccounts(t)) return [];
  return t.accounts.flatMap((account) => {
    const m = (name: BrokerMetricName, statistic: string) =>
      accountMetric(t.function, name, account, { period: WATCH_PERIOD, statistic });
    const alarms: Array<[string, string, TokenBrokerAlarmOptions]> = [
      [
        account,
        `CircuitOpenAlarm-${account}`,
        {
          metric: m('circuitOpen', 'Maximum'),
          threshold: 1,
          description: `The circuit breaker of the account ${account} is open in at least one container: its devices fail with UPSTREAM_UNAVAILABLE while the other accounts are served.`,
        },
      ],
      [
        account,
        `UpstreamFailuresAlarm-${account}`,
        {
          metric: m('upstreamFailures', 'Sum'),
          threshold: 5,
          description: `Upstream logins of the account ${account} failing (its gateway or its credentials). See the function log.`,
        },
      ],
    ];
    if (t.tokenStore && t.loginBudgetPerHour > 0) {
      alarms.push([
        account,
        `LoginBudgetAlarm-${account}`,
        {
          metric: m('fleetLoginsThisHour', 'Maximum'),
          threshold: t.loginBudgetPerHour,
          description: `Fleet-wide upstream logins of the account ${account} this hour reached its budget (${t.loginBudgetPerHour}). With loginBudgetEnforce, its misses now answer 429 UPSTREAM_BUDGET_EXCEEDED until the hour ends.`,
        },
      ]);
    }
    return alarms;
  });
}

/** One dashboard row per account: its logins against the budget, its circuit and failures. */
export function accountDashboardRows(t: AccountWatchTargets): IWidget[][] {
  if (!watchesAccounts(t)) return [];
  return t.accounts.map((account) => {
    const m = (name: BrokerMetricName, statistic: string, options: MetricOptions) =>
      accountMetric(t.function, name, account, { period: WATCH_PERIOD, statistic, ...options });
    const hour = { period: Duration.hours(1) };
    return [
      new GraphWidget({
        title: `Account ${account}: upstream logins per hour`,
        width: 12,
        height: 6,
        left: [
          m('upstreamLogins', 'Sum', { ...hour, label: 'Logins (this function)' }),
          ...(t.tokenStore
            ? [m('fleetLoginsThisHour', 'Maximum', { ...hour, label: 'Fleet logins this hour' })]
            : []),
        ],
        leftAnnotations:
          t.tokenStore && t.loginBudgetPerHour > 0
            ? [{ value: t.loginBudgetPerHour, label: 'Login budget per hour', color: '#d62728' }]
            : [],
      }),
      new GraphWidget({
        title: `Account ${account}: circuit and failures`,
        width: 12,
        height: 6,
        left: [m('circuitOpen', 'Maximum', { label: 'Circuit open (max over containers)' })],
        right: [
          m('upstreamFailures', 'Sum', { label: 'Upstream failures' }),
          m('budgetExceeded', 'Sum', { label: 'Refused: budget spent' }),
          m('sharedCircuitRefusals', 'Sum', { label: 'Shared circuit refusals' }),
        ],
      }),
    ];
  });
}

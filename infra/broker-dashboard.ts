/**
 * The broker's CloudWatch dashboard and the token store's alarms: what an
 * operator looks at instead of reading logs. Every metric name comes from
 * {@link BROKER_METRICS}, so a widget cannot show a metric the function does
 * not emit.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  MathExpression,
  type MetricOptions,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ERROR_CODE_DIMENSION } from '../functions/token-broker/metrics.ts';
import { accountDashboardRows } from './broker-account-metrics.ts';
import {
  BROKER_METRICS,
  type BrokerMetricName,
  brokerMetric,
  type TokenBrokerAlarmOptions,
  WATCH_PERIOD,
} from './broker-alarms.ts';
import { grantsDirectoryRow } from './broker-grants-watch.ts';

/** What the dashboard shows. */
export interface BrokerDashboardTargets {
  /** The broker function. */
  readonly function: LambdaFunction;
  /** Whether the token store is on: its widgets are shown only then. */
  readonly tokenStore: boolean;
  /** The fleet's hourly login budget; 0 draws no budget line. */
  readonly loginBudgetPerHour: number;
  /**
   * The routed accounts' names: with several, one row each at the end.
   * @default - one account: no per-account row
   */
  readonly accounts?: readonly string[];
  /**
   * Whether the grants directory is on: its row is shown only then.
   * @default false
   */
  readonly grantsTable?: boolean;
}

/** The store alarms' evaluation: StoreErrors ≥ 1 in each of 3 periods of 5 minutes. */
export const STORE_ERRORS_ALARM = { threshold: 1, periods: 3, period: WATCH_PERIOD } as const;

/** Creates the dashboard, named by CloudFormation (one per stack and construct). */
export function createBrokerDashboard(
  scope: Construct,
  id: string,
  t: BrokerDashboardTargets,
): Dashboard {
  const m = (name: BrokerMetricName, statistic: string, options: MetricOptions = {}) =>
    brokerMetric(t.function, name, { period: WATCH_PERIOD, statistic, ...options });
  const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 12) =>
    new GraphWidget({ title, left, right, width, height: 6 });

  const rows: IWidget[][] = [
    [
      graph('Tokens issued', [m('tokensIssued', 'Sum', { label: 'Tokens issued' })]),
      graph('Cache hit ratio (%)', [
        ratio('l1', 'L1 (in-process) hit ratio', m('cacheHits', 'Sum'), m('cacheMisses', 'Sum')),
        ...(t.tokenStore
          ? [ratio('l2', 'L2 (store) hit ratio', m('storeHits', 'Sum'), m('storeMisses', 'Sum'))]
          : []),
      ]),
    ],
    [
      loginsPerHour(t, m),
      graph('Refreshes', [
        m('refreshes', 'Sum', { label: 'Devices asked with refresh' }),
        m('refreshLogins', 'Sum', { label: 'Refresh logins' }),
      ]),
    ],
    ...(t.tokenStore
      ? [
          [
            graph('Leases', [
              m('leasesTaken', 'Sum', { label: 'Leases taken' }),
              m('leaseWaits', 'Sum', { label: 'Lease waits' }),
              m('leaseTakeovers', 'Sum', { label: 'Lease takeovers' }),
            ]),
            graph(
              'Token store errors and latency',
              [
                m('storeErrors', 'Sum', { label: 'Store errors' }),
                new MathExpression({
                  expression: `SEARCH('{${BROKER_METRICS.namespace},${BROKER_METRICS.dimension},${ERROR_CODE_DIMENSION}} MetricName="${BROKER_METRICS.storeErrors}" ${BROKER_METRICS.dimension}="${t.function.functionName}"', 'Sum', ${WATCH_PERIOD.toSeconds()})`,
                  label: 'by reason',
                  period: WATCH_PERIOD,
                }),
              ],
              [
                m('storeLatency', 'p50', { label: 'Store latency p50 (ms)' }),
                m('storeLatency', 'p99', { label: 'Store latency p99 (ms)' }),
              ],
            ),
          ],
        ]
      : []),
    [
      graph(
        'Circuit',
        [m('circuitOpen', 'Maximum', { label: 'Circuit open (max over containers)' })],
        [
          m('sharedCircuitRefusals', 'Sum', { label: 'Shared circuit refusals' }),
          m('budgetExceeded', 'Sum', { label: 'Refused: budget spent' }),
        ],
      ),
      graph('Function duration (ms)', [
        t.function.metricDuration({ period: WATCH_PERIOD, statistic: 'p50', label: 'p50' }),
        t.function.metricDuration({ period: WATCH_PERIOD, statistic: 'p99', label: 'p99' }),
      ]),
    ],
  ];
  if (t.grantsTable === true) rows.push(grantsDirectoryRow(t.function));
  rows.push(...accountDashboardRows({ ...t, accounts: t.accounts ?? [] }));
  const dashboard = new Dashboard(scope, id, { defaultInterval: Duration.days(1) });
  for (const row of rows) dashboard.addWidgets(...row);
  return dashboard;
}

/** `100 × hits / (hits + misses)`; no point when there was no lookup. */
function ratio(id: string, label: string, hits: IMetric, misses: IMetric): MathExpression {
  return new MathExpression({
    expression: `100 * ${id}h / (${id}h + ${id}m)`,
    usingMetrics: { [`${id}h`]: hits, [`${id}m`]: misses },
    label,
    period: WATCH_PERIOD,
  });
}

/** This function's logins per hour, and the fleet's count against the budget. */
function loginsPerHour(
  t: BrokerDashboardTargets,
  m: (name: BrokerMetricName, statistic: string, options?: MetricOptions) => IMetric,
): GraphWidget {
  const hour = { period: Duration.hours(1) };
  return new GraphWidget({
    title: 'Upstream logins per hour',
    width: 12,
    height: 6,
    left: [
      m('upstreamLogins', 'Sum', { ...hour, label: 'Logins (this function)' }),
      ...(t.tokenStore
        ? [m('fleetLoginsThisHour', 'Maximum', { ...hour, label: 'Fleet logins this hour' })]
        : []),
    ],
    leftAnnotations:
      t.loginBudgetPerHour > 0
        ? [{ value: t.loginBudgetPerHour, label: 'Login budget per hour', color: '#d62728' }]
        : [],
  });
}

/** The token store's alarms, by id, for `addAlarm` to create. */
export function tokenStoreAlarms(
  t: Omit<BrokerDashboardTargets, 'tokenStore'>,
): Array<[string, TokenBrokerAlarmOptions]> {
  const alarms: Array<[string, TokenBrokerAlarmOptions]> = [
    [
      'StoreErrorsAlarm',
      {
        metric: brokerMetric(t.function, 'storeErrors', {
          period: STORE_ERRORS_ALARM.period,
          statistic: 'Sum',
        }),
        threshold: STORE_ERRORS_ALARM.threshold,
        evaluationPeriods: STORE_ERRORS_ALARM.periods,
        description:
          'Token store (DynamoDB) calls failing for 15 minutes: requests are still served, but from each container’s own cache or by direct logins, so logins rise. See StoreErrors by ErrorCode and the function log.',
      },
    ],
  ];
  if (t.loginBudgetPerHour > 0) {
    alarms.push([
      'LoginBudgetAlarm',
      {
        metric: brokerMetric(t.function, 'fleetLoginsThisHour', {
          period: WATCH_PERIOD,
          statistic: 'Maximum',
        }),
        threshold: t.loginBudgetPerHour,
        description: `Fleet-wide upstream logins this hour reached the budget (${t.loginBudgetPerHour}). With loginBudgetEnforce, misses now answer 429 UPSTREAM_BUDGET_EXCEEDED until the hour ends.`,
      },
    ]);
  }
  return alarms;
}

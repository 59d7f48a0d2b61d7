/**
 * What watches the grants directory (issue 17): an alarm and a dashboard
 * row on the function's `GrantsUnavailable` metric, made only with
 * `grantsTable` on, since the function emits it only then.
 */
import { GraphWidget, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { brokerMetric, type TokenBrokerAlarmOptions, WATCH_PERIOD } from './broker-alarms.ts';

/**
 * The alarm's evaluation: any request in 5 minutes whose directory lookup
 * failed. One is enough, unlike the store's errors: a failed lookup is not
 * absorbed by a cache, it refuses every device the claim does not cover.
 */
export const GRANTS_UNAVAILABLE_ALARM = {
  threshold: 1,
  periods: 1,
  period: WATCH_PERIOD,
} as const;

/** The grants directory's alarm, by id, for `addAlarm` to create. */
export function grantsDirectoryAlarm(fn: IFunction): [string, TokenBrokerAlarmOptions] {
  return [
    'GrantsUnavailableAlarm',
    {
      metric: brokerMetric(fn, 'grantsUnavailable', {
        period: GRANTS_UNAVAILABLE_ALARM.period,
        statistic: 'Sum',
      }),
      threshold: GRANTS_UNAVAILABLE_ALARM.threshold,
      evaluationPeriods: GRANTS_UNAVAILABLE_ALARM.periods,
      description:
        'Grants directory (DynamoDB) lookups failing: requests the JWT claim covers are still served, every other answers 503 GRANTS_UNAVAILABLE. Check the grants table, its throttling and the function log (grants directory unreadable).',
    },
  ];
}

/** The dashboard row of the grants directory: its failed lookups. */
export function grantsDirectoryRow(fn: IFunction): IWidget[] {
  return [
    new GraphWidget({
      title: 'Grants directory',
      width: 12,
      height: 6,
      left: [
        brokerMetric(fn, 'grantsUnavailable', {
          period: GRANTS_UNAVAILABLE_ALARM.period,
          statistic: 'Sum',
          label: 'Requests with the directory unreadable',
        }),
      ],
    }),
  ];
}

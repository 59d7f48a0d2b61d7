/**
 * The broker's alarms: the function's and the API's own metrics, and the
 * function's EMF metrics, each notifying the alarm topic when there is one.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  type MetricOptions,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  FUNCTION_DIMENSION,
  METRICS,
  METRICS_NAMESPACE,
} from '../functions/token-broker/metrics.ts';

/**
 * The function's own metrics (CloudWatch Embedded Metric Format), each with
 * the dimension `FunctionName`: read from the function's metrics.ts, a pure
 * list of names, so an alarm or a dashboard cannot watch a metric the
 * function does not emit.
 */
export const BROKER_METRICS = {
  namespace: METRICS_NAMESPACE,
  dimension: FUNCTION_DIMENSION,
  ...(Object.fromEntries(Object.entries(METRICS).map(([key, m]) => [key, m.name])) as {
    readonly [K in keyof typeof METRICS]: (typeof METRICS)[K]['name'];
  }),
} as const;

/** A metric the function emits, by its key in {@link BROKER_METRICS}. */
export type BrokerMetricName = Exclude<keyof typeof BROKER_METRICS, 'namespace' | 'dimension'>;

/** Options of `TokenBroker.addAlarm`. */
export interface TokenBrokerAlarmOptions {
  /** The metric watched, with its statistic and period. */
  readonly metric: IMetric;
  /** The value compared with the metric. */
  readonly threshold: number;
  /** What the alarm means and what to do, shown in notifications. */
  readonly description: string;
  /**
   * How the metric is compared with the threshold.
   * @default ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
   */
  readonly comparisonOperator?: ComparisonOperator;
  /**
   * Periods evaluated.
   * @default 1
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching periods among those evaluated that fire the alarm.
   * @default - all evaluated periods
   */
  readonly datapointsToAlarm?: number;
}

/** One of the function's own EMF metrics, for that function. */
export function brokerMetric(
  fn: IFunction,
  name: BrokerMetricName,
  options: MetricOptions = {},
): Metric {
  return new Metric({
    namespace: BROKER_METRICS.namespace,
    metricName: BROKER_METRICS[name],
    dimensionsMap: { [BROKER_METRICS.dimension]: fn.functionName },
    ...options,
  });
}

/** An alarm that notifies `topic`, if any, on alarm and on recovery. */
export function createAlarm(
  scope: Construct,
  id: string,
  options: TokenBrokerAlarmOptions,
  topic: ITopic | undefined,
): Alarm {
  const alarm = new Alarm(scope, id, {
    metric: options.metric,
    threshold: options.threshold,
    evaluationPeriods: options.evaluationPeriods ?? 1,
    datapointsToAlarm: options.datapointsToAlarm,
    comparisonOperator:
      options.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: options.description,
  });
  if (topic !== undefined) {
    const action = new SnsAction(topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return alarm;
}

/** What the built-in alarms watch. */
export interface DefaultAlarmTargets {
  /** The broker function. */
  readonly function: IFunction & {
    metricErrors(o: MetricOptions): Metric;
    metricThrottles(o: MetricOptions): Metric;
  };
  /** The HTTP API. */
  readonly api: HttpApi;
  /** p99 latency that fires the latency alarm, in milliseconds. */
  readonly latencyThresholdMs: number;
}

/** The period of every alarm and graph but the hourly login count: one place to change it. */
export const WATCH_PERIOD = Duration.minutes(5);

/** The built-in alarms, by id, for `addAlarm` to create. */
export function defaultAlarms(t: DefaultAlarmTargets): Array<[string, TokenBrokerAlarmOptions]> {
  const period = WATCH_PERIOD;
  const emf = (name: BrokerMetricName, statistic: string) =>
    brokerMetric(t.function, name, { period, statistic });
  return [
    [
      'ErrorsAlarm',
      {
        metric: t.function.metricErrors({ period, statistic: 'Sum' }),
        threshold: 5,
        description:
          'Broker function errors (failed direct invocations, crashes). See its log group.',
      },
    ],
    [
      'ThrottlesAlarm',
      {
        metric: t.function.metricThrottles({ period, statistic: 'Sum' }),
        threshold: 1,
        description:
          'Broker function throttled: reserved concurrency reached. Raise it if the upstream allows.',
      },
    ],
    [
      'Api5xxAlarm',
      {
        metric: t.api.metricServerError({ period, statistic: 'Sum' }),
        threshold: 5,
        description: 'API answered 5xx: upstream or credentials faults. See the function log.',
      },
    ],
    [
      'LatencyP99Alarm',
      {
        metric: t.api.metricLatency({ period, statistic: 'p99' }),
        threshold: t.latencyThresholdMs,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        description: 'p99 API latency high for 15 minutes: the upstream is slow.',
      },
    ],
    [
      'UpstreamFailuresAlarm',
      {
        metric: emf('upstreamFailures', 'Sum'),
        threshold: 5,
        description:
          'Upstream logins failing (by ErrorCode in the VisualTokenBroker namespace). See the function log.',
      },
    ],
    [
      'CircuitOpenAlarm',
      {
        metric: emf('circuitOpen', 'Maximum'),
        threshold: 1,
        description:
          'The circuit breaker is open in at least one container: callers get 503 UPSTREAM_UNAVAILABLE.',
      },
    ],
    [
      'SecretFetchFailuresAlarm',
      {
        metric: emf('secretFetchFailures', 'Sum'),
        threshold: 1,
        description:
          'Reading the credentials secret failed (a stale secret may be served, for up to secretMaxStale). See the function log for the secret id.',
      },
    ],
  ];
}

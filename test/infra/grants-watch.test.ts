/**
 * What watches the grants directory: with `grantsTable` on, an alarm on the
 * function's `GrantsUnavailable` metric, to the alarm topic like the others,
 * exposed and listed with them, and a dashboard row; with it off, neither.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, test } from 'vitest';
import {
  FUNCTION_DIMENSION,
  METRICS,
  METRICS_NAMESPACE,
} from '../../functions/token-broker/metrics.ts';
import { onlyLogicalId, synthConstructWith, synthStack } from './support.ts';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:111122223333:ops';
const GIVEN_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/broker-grants';
const GRANTS_UNAVAILABLE = METRICS.grantsUnavailable.name;

/** The alarms' properties. */
const alarmsOf = (template: Template) =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

/** The alarms on GrantsUnavailable. */
const grantsAlarmsOf = (template: Template) =>
  alarmsOf(template).filter((a) => a.MetricName === GRANTS_UNAVAILABLE);

/** The dashboard body as JSON text, with the tokens' pieces joined. */
const bodyOf = (template: Template): string => {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const join = dashboard?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
  return join.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
};

describe('grants directory: alarm', () => {
  test('GrantsUnavailable Sum ≥ 1 in one 5-minute period, for this function, missing data not breaching', () => {
    // Prepare
    const { template } = synthStack({ grantsTable: 'true' });
    const functionId = onlyLogicalId(template, 'AWS::Lambda::Function');

    // Act
    const alarms = grantsAlarmsOf(template);

    // Assess
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [{ Name: FUNCTION_DIMENSION, Value: { Ref: functionId } }],
      Statistic: 'Sum',
      Threshold: 1,
      Period: 300,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('notifies the alarm topic on alarm and on recovery, as the other alarms do', () => {
    // Prepare, Act
    const { template } = synthStack({ grantsTable: 'true', alarmTopicArn: TOPIC_ARN });

    // Assess
    expect(grantsAlarmsOf(template)[0]).toMatchObject({
      AlarmActions: [TOPIC_ARN],
      OKActions: [TOPIC_ARN],
    });
    for (const a of alarmsOf(template)) expect(a.AlarmActions).toEqual([TOPIC_ARN]);
  });

  test('tells the operator what is still served and where to look', () => {
    // Prepare, Act
    const { template } = synthStack({ grantsTable: 'true' });

    // Assess
    const description = String(grantsAlarmsOf(template)[0]?.AlarmDescription);
    expect(description).toContain('503 GRANTS_UNAVAILABLE');
    expect(description).toContain('claim');
    expect(description).toContain('throttling');
  });

  test('is exposed and listed in alarms, beside the eight of the default stack', () => {
    // Prepare, Act
    const { broker } = synthStack({ grantsTable: 'true' }).stack;

    // Assess
    expect(broker.grantsUnavailableAlarm).toBeDefined();
    expect(broker.alarms).toContain(broker.grantsUnavailableAlarm);
    expect(broker.alarms).toHaveLength(9);
    expect(broker.grantsUnavailableAlarm?.node.id).toBe('GrantsUnavailableAlarm');
  });

  test('watches your own table too', () => {
    // Prepare, Act
    const { broker, template } = synthConstructWith((stack) => ({
      jwtIssuer: 'https://tenant.eu.auth0.com/',
      jwtAudience: ['aud'],
      grantsTable: Table.fromTableArn(stack, 'Given', GIVEN_ARN),
    }));

    // Assess
    expect(grantsAlarmsOf(template)).toHaveLength(1);
    expect(broker.grantsUnavailableAlarm).toBeDefined();
  });

  test.each([
    ['unset', {}],
    ['false', { grantsTable: 'false' }],
    ['off, with the store off', { tokenStore: 'false' }],
  ])('none with grantsTable %s', (_, context) => {
    // Prepare, Act
    const { stack, template } = synthStack(context);

    // Assess
    expect(grantsAlarmsOf(template)).toEqual([]);
    expect(stack.broker.grantsUnavailableAlarm).toBeUndefined();
  });
});

describe('grants directory: dashboard', () => {
  test('has a Grants directory graph of GrantsUnavailable for this function', () => {
    // Prepare
    const { template } = synthStack({ grantsTable: 'true' });
    const functionId = onlyLogicalId(template, 'AWS::Lambda::Function');

    // Act
    const body = bodyOf(template);

    // Assess
    expect(body).toContain('"title":"Grants directory"');
    expect(body).toContain(
      `["${METRICS_NAMESPACE}","${GRANTS_UNAVAILABLE}","${FUNCTION_DIMENSION}","{"Ref":"${functionId}"}",{"label":"Requests with the directory unreadable","stat":"Sum"}]`,
    );
  });

  test('has no such graph with grantsTable off', () => {
    // Prepare, Act
    const body = bodyOf(synthStack().template);

    // Assess
    expect(body).not.toContain('Grants directory');
    expect(body).not.toContain(`"${GRANTS_UNAVAILABLE}"`);
  });
});

import { Duration } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { ENV, settingLookalikes } from '../../functions/token-broker/config.ts';
import type { TokenBrokerProps } from '../../infra/token-broker.ts';
import { functionProps, synthConstruct, synthStack } from './support.ts';

const GIVEN_IDP = {
  jwtIssuer: 'https://tenant.eu.auth0.com/',
  jwtAudience: ['https://broker.example.com'],
} as const;

describe('settings added by the table', () => {
  test('map their props onto their variables', () => {
    // Prepare
    const props: Partial<TokenBrokerProps> = {
      ...GIVEN_IDP,
      tokenCacheMaxBytes: 1_048_576,
      loginGather: Duration.millis(5),
      tokenRefreshMinInterval: Duration.minutes(1),
      tokenStoreTimeout: Duration.millis(250),
      tokenLease: Duration.seconds(20),
      sharedCircuit: true,
      loginBudgetPerHour: 1000,
      loginBudgetEnforce: true,
    };

    // Act
    const { template } = synthConstruct(props);

    // Assess
    expect(functionProps(template).Environment.Variables).toMatchObject({
      [ENV.tokenCacheMaxBytes]: '1048576',
      [ENV.loginGatherMs]: '5',
      [ENV.tokenRefreshMinIntervalSeconds]: '60',
      [ENV.tokenStoreTimeoutMs]: '250',
      [ENV.tokenLeaseSeconds]: '20',
      [ENV.sharedCircuit]: 'true',
      [ENV.loginBudgetPerHour]: '1000',
      [ENV.loginBudgetEnforce]: 'true',
    });
  });

  test('read from context by their context keys', () => {
    // Prepare
    const context = {
      loginGatherMs: '3',
      sharedCircuit: 'true',
      timeoutSeconds: '20',
      memorySize: 1024,
      latencyAlarmThresholdMs: '800',
    };

    // Act
    const { template } = synthStack(context);

    // Assess
    expect(functionProps(template)).toMatchObject({
      Timeout: 20,
      MemorySize: 1024,
      Environment: { Variables: { [ENV.loginGatherMs]: '3', [ENV.sharedCircuit]: 'true' } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency',
      Threshold: 800,
    });
  });

  test.each<[string, Partial<TokenBrokerProps>, string]>([
    [
      'loginBudgetEnforce is true with no budget',
      { loginBudgetEnforce: true },
      'TokenBroker: loginBudgetEnforce is true, so loginBudgetPerHour must be above 0',
    ],
    [
      'loginGather is over a second',
      { loginGather: Duration.seconds(2) },
      'TokenBroker: loginGather must be a whole number from 0 to 1000, got 2000',
    ],
    [
      'tokenCacheMaxBytes is below 64 KiB',
      { tokenCacheMaxBytes: 1024 },
      'TokenBroker: tokenCacheMaxBytes must be a whole number from 65536 to 1073741824, got 1024',
    ],
    [
      'jwtAudience is empty',
      { jwtIssuer: GIVEN_IDP.jwtIssuer, jwtAudience: [] },
      'TokenBroker: jwtAudience is set but lists no audience',
    ],
  ])('fails when %s', (_, props, message) => {
    // Prepare
    const act = () => synthConstruct(props);

    // Act, Assess
    expect(act).toThrow(message);
  });

  test('fails when a boolean context value is not true or false', () => {
    // Prepare
    const context = { sharedCircuit: 'yes' };

    // Act
    const act = () => synthStack(context);

    // Assess
    expect(act).toThrow('Context "sharedCircuit" must be true or false, got "yes"');
  });
});

describe('exposed resources', () => {
  test('every created resource is a property of the construct', () => {
    // Prepare, Act
    const { broker } = synthStack().stack;

    // Assess
    expect(broker.role.roleArn).toBeDefined();
    expect(broker.functionLogGroup.logGroupArn).toBeDefined();
    expect(broker.accessLogGroup.logGroupArn).toBeDefined();
    expect(broker.stage.stageName).toBe('$default');
    expect(broker.authorizer).toBeDefined();
    expect(broker.userPool).toBeDefined();
    expect(broker.userPoolClient).toBeDefined();
    expect(broker.tokenTable?.tableArn).toBeDefined();
    expect(broker.tokenStoreKeySecret?.secretArn).toBeDefined();
    expect(broker.tokenStorePolicy?.policyName).toBeDefined();
    expect(broker.dashboard.dashboardName).toBeDefined();
    expect(broker.storeErrorsAlarm).toBeDefined();
    expect(broker.alarms).toHaveLength(8);
  });
});

describe('the function’s environment', () => {
  test('holds no variable the function warns about at init as a lookalike', () => {
    // Prepare: the default stack, with the store and the grants directory.
    const { template } = synthStack();

    // Act
    const vars = functionProps(template).Environment.Variables as Record<string, string>;

    // Assess
    expect(Object.keys(vars).length).toBeGreaterThan(5);
    expect(settingLookalikes(vars)).toEqual([]);
  });
});

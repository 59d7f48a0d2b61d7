/**
 * Several upstream accounts (issue 18) seen from CDK: the `accounts` and
 * `accountRoutes` props and context keys, the function's environment, its
 * grants (routed accounts only), the created secrets, and each account's
 * alarms and dashboard row.
 */
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, test } from 'vitest';
import { ENV } from '../../functions/token-broker/config.ts';
import {
  ACCOUNT_DIMENSION,
  FUNCTION_DIMENSION,
  METRICS,
} from '../../functions/token-broker/metrics.ts';
import type { TokenBrokerProps } from '../../infra/token-broker.ts';
import {
  functionProps,
  policyStatements,
  synthConstruct,
  synthConstructWith,
  synthStack,
} from './support.ts';

const EU_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:broker/eu-AbCdEf';
const US_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:broker/us-GhIjKl';

/** Two named accounts beside `default`: `eu` given, `cn` created; `eu` serves one product. */
const TWO_ACCOUNTS = (stack: import('aws-cdk-lib').Stack): Partial<TokenBrokerProps> => ({
  accounts: { eu: Secret.fromSecretCompleteArn(stack, 'Eu', EU_ARN), cn: true },
  accountRoutes: { pk1: 'eu', '*': 'cn' },
});

const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** The resources of the statements granting GetSecretValue. */
const secretReads = (template: Template) =>
  policyStatements(template)
    .filter((s) => asList(s.Action).includes('secretsmanager:GetSecretValue'))
    .map((s) => s.Resource);

/** The dimension names of every alarm, one joined string per alarm. */
const alarmDimensions = (template: Template) =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) =>
    (a.Properties.Dimensions ?? []).map((d: { Name: string }) => d.Name).join('+'),
  );

describe('accounts: the function environment', () => {
  test('UPSTREAM_ACCOUNTS holds each named account’s secret ARN, ACCOUNT_ROUTES the routes', () => {
    // Prepare
    const props = TWO_ACCOUNTS;

    // Act
    const { template } = synthConstructWith(props);

    // Assess
    const vars = functionProps(template).Environment.Variables;
    expect(vars[ENV.accountRoutes]).toBe('pk1=eu,*=cn');
    expect(vars[ENV.upstreamAccounts]).toEqual({
      'Fn::Join': ['', [`eu=${EU_ARN},cn=`, { Ref: expect.stringMatching(/^BrokerAccountscn/) }]],
    });
  });

  test('with no accounts both variables are empty, as before accounts existed', () => {
    // Prepare, Act
    const { template } = synthConstruct();

    // Assess
    const vars = functionProps(template).Environment.Variables;
    expect(vars[ENV.upstreamAccounts]).toBe('');
    expect(vars[ENV.accountRoutes]).toBe('');
    expect(alarmDimensions(template).filter((d) => d.includes(ACCOUNT_DIMENSION))).toEqual([]);
  });

  test('the context keys take the text form', () => {
    // Prepare
    const context = { accounts: `eu=${EU_ARN},cn=true`, accountRoutes: 'pk1=eu,*=cn' };

    // Act
    const { stack, template } = synthStack(context);

    // Assess
    expect([...stack.broker.accountSecrets.keys()]).toEqual(['default', 'eu', 'cn']);
    expect(functionProps(template).Environment.Variables[ENV.accountRoutes]).toBe('pk1=eu,*=cn');
    expect(Object.keys(template.findOutputs('*'))).toEqual(
      expect.arrayContaining(['SecretArneu', 'SecretArncn']),
    );
  });
});

describe('accounts: grants', () => {
  test('the function may read the routed accounts’ secrets only, and is warned of the others', () => {
    // Prepare
    const props = TWO_ACCOUNTS;

    // Act
    const { stack, broker, template } = synthConstructWith(props);

    // Assess
    const cnId = stack.resolve((broker.accountSecrets.get('cn') as Secret).secretArn);
    expect(secretReads(template)).toEqual([
      EU_ARN,
      cnId,
      { Ref: expect.stringMatching(/TokenStoreKeySecret/) },
    ]);
    expect([...broker.routedAccountSecrets.keys()]).toEqual(['eu', 'cn']);
    Annotations.fromStack(stack).hasWarning(
      '/Host/Broker',
      Match.stringLikeRegexp('The account default is in no route'),
    );
  });

  test('an unrouted given secret gets no grant, and no KMS grant on its key', () => {
    // Prepare
    const props = (stack: import('aws-cdk-lib').Stack): Partial<TokenBrokerProps> => {
      const key = (id: string) => new Key(stack, id, { enableKeyRotation: true });
      return {
        accounts: {
          eu: Secret.fromSecretAttributes(stack, 'Eu', {
            secretCompleteArn: EU_ARN,
            encryptionKey: key('EuKey'),
          }),
          us: Secret.fromSecretAttributes(stack, 'Us', {
            secretCompleteArn: US_ARN,
            encryptionKey: key('UsKey'),
          }),
        },
        accountRoutes: { '*': 'default', pk1: 'eu' },
      };
    };

    // Act
    const { template } = synthConstructWith(props);

    // Assess
    expect(secretReads(template)).not.toContainEqual(US_ARN);
    expect(secretReads(template)).toContainEqual(EU_ARN);
    // A key of the same stack grants through its key policy, as grantRead does.
    const decrypters = Object.entries(template.findResources('AWS::KMS::Key'))
      .filter(([, key]) => JSON.stringify(key.Properties.KeyPolicy).includes('kms:Decrypt'))
      .map(([id]) => id);
    expect(decrypters).toEqual([expect.stringMatching(/^EuKey/)]);
  });

  test('with the token store off, several accounts get BatchGetSecretValue in a policy of their own', () => {
    // Prepare
    const props = (stack: import('aws-cdk-lib').Stack) => ({
      ...TWO_ACCOUNTS(stack),
      tokenStore: false,
    });

    // Act
    const { broker, template } = synthConstructWith(props);

    // Assess
    const batch = policyStatements(template).filter((s) =>
      asList(s.Action).includes('secretsmanager:BatchGetSecretValue'),
    );
    expect(batch).toEqual([expect.objectContaining({ Resource: '*', Effect: 'Allow' })]);
    expect(broker.accountsPolicy).toBeDefined();
  });

  test('with the token store on, its one BatchGetSecretValue statement serves every account', () => {
    // Prepare
    const props = TWO_ACCOUNTS;

    // Act
    const { broker, template } = synthConstructWith(props);

    // Assess
    const batch = policyStatements(template).filter((s) =>
      asList(s.Action).includes('secretsmanager:BatchGetSecretValue'),
    );
    expect(batch).toHaveLength(1);
    expect(broker.accountsPolicy).toBeUndefined();
  });
});

describe('accounts: created secrets', () => {
  test('true creates a secret with the placeholder, exposed in accountSecrets', () => {
    // Prepare
    const props = { accounts: { cn: true } as const, accountRoutes: { '*': 'cn' } };

    // Act
    const { broker, template } = synthConstruct(props);

    // Assess
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('of the upstream account cn.*upstreamUrl'),
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password' }),
    });
    expect(broker.accountSecrets.get('cn')).toBeInstanceOf(Secret);
    expect(broker.accountSecrets.get('default')).toBe(broker.secret);
  });

  test.each([
    ['store on, created and imported accounts', { accounts: `cn=true,eu=${EU_ARN}` }],
    ['store off', { accounts: 'cn=true,eu=broker/eu', tokenStore: 'false' }],
  ])('cdk-nag reports nothing unresolved with %s', (_, context) => {
    // Prepare
    const { app, stack } = synthStack({ ...context, accountRoutes: 'pk1=eu,*=cn' });

    // Act
    const reports = [new AwsSolutionsChecks(app), new ServerlessChecks(app)].map((pack) =>
      pack.validateScope(stack),
    );

    // Assess
    for (const report of reports) expect(report.violations).toEqual([]);
  });
});

describe('accounts: alarms and dashboard', () => {
  const budgeted = (stack: import('aws-cdk-lib').Stack) => ({
    ...TWO_ACCOUNTS(stack),
    loginBudgetPerHour: 100,
  });

  test('each routed account has its circuit, failures and budget alarms on the Account dimension', () => {
    // Prepare, Act
    const { broker, template } = synthConstructWith(budgeted);

    // Assess
    for (const account of ['eu', 'cn']) {
      for (const metric of [METRICS.circuitOpen, METRICS.upstreamFailures]) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: metric.name,
          Dimensions: Match.arrayWith([{ Name: ACCOUNT_DIMENSION, Value: account }]),
        });
      }
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: METRICS.fleetLoginsThisHour.name,
        Threshold: 100,
        Dimensions: [
          { Name: ACCOUNT_DIMENSION, Value: account },
          { Name: FUNCTION_DIMENSION, Value: Match.anyValue() },
        ],
      });
      expect(broker.accountAlarms.get(account)).toHaveLength(3);
    }
    expect(broker.accountAlarms.has('default')).toBe(false);
    expect(broker.loginBudgetAlarm).toBeUndefined();
    expect(broker.alarms).toHaveLength(8 + 6);
  });

  test('the dashboard has a row per routed account, on the Account dimension', () => {
    // Prepare, Act
    const { template } = synthConstructWith(budgeted);

    // Assess
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties,
    );
    for (const account of ['eu', 'cn']) {
      expect(body).toContain(`Account ${account}: upstream logins per hour`);
      expect(body).toContain(`Account ${account}: circuit and failures`);
      expect(body).toContain(`\\"${ACCOUNT_DIMENSION}\\",\\"${account}\\"`);
    }
    expect(body).not.toContain('Account default');
  });

  test('one routed account, even with others given, keeps the one budget alarm and no account row', () => {
    // Prepare
    const props = { accounts: { cn: true } as const, loginBudgetPerHour: 100 };

    // Act
    const { broker, template } = synthConstruct(props);

    // Assess
    expect(broker.loginBudgetAlarm).toBeDefined();
    expect(broker.accountAlarms.size).toBe(0);
    expect(alarmDimensions(template).filter((d) => d.includes(ACCOUNT_DIMENSION))).toEqual([]);
  });
});

describe('accounts: synth-time checks', () => {
  test.each<[string, Partial<TokenBrokerProps>, RegExp]>([
    [
      'a route names an unknown account',
      { accounts: { cn: true }, accountRoutes: { pk1: 'eu' } },
      /^TokenBroker: accountRoutes routes pk1 to the account eu, which is neither default nor in accounts$/,
    ],
    [
      'an account is named default',
      { accounts: { default: true } },
      /^TokenBroker: accounts keys must be an account name other than default .*, got "default"$/,
    ],
    [
      'an account name has capitals',
      { accounts: { CN: true } },
      /^TokenBroker: accounts keys must be an account name other than default .*, got "CN"$/,
    ],
    [
      'a route names a bad account name',
      { accountRoutes: { pk1: 'EU!' } },
      /^TokenBroker: accountRoutes values must be an account name .*, got "EU!" for pk1$/,
    ],
  ])('fails when %s', (_, props, message) => {
    // Prepare
    const act = () => synthConstruct(props);

    // Act, Assess
    expect(act).toThrow(message);
  });

  test('fails when the context routes are not key=value pairs', () => {
    // Prepare
    const context = { accountRoutes: 'pk1:eu' };

    // Act
    const act = () => synthStack(context);

    // Assess
    expect(act).toThrow('Context "accountRoutes" entries must be key=value, got "pk1:eu"');
  });
});

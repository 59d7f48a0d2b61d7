import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, test } from 'vitest';
import { ENV } from '../../functions/token-broker/config.ts';
import { FUNCTION_DIMENSION, METRICS } from '../../functions/token-broker/metrics.ts';
import {
  functionProps,
  onlyLogicalId,
  policyStatements,
  synthConstruct,
  synthConstructWith,
  synthStack,
} from './support.ts';

const GIVEN_IDP = {
  jwtIssuer: 'https://tenant.eu.auth0.com/',
  jwtAudience: ['https://broker.example.com'],
} as const;

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:111122223333:ops';

/** The item verbs the issue allows, spelt out so the test does not trust the code's list. */
const ITEM_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/** Statements naming any action of a service. */
const statementsOf = (template: Template, service: string) =>
  policyStatements(template).filter((s) =>
    asList(s.Action).some((a) => String(a).startsWith(`${service}:`)),
  );

const secretIds = (template: Template) =>
  Object.keys(template.findResources('AWS::SecretsManager::Secret'));

const alarmsOf = (template: Template) =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

describe('token store: the created table', () => {
  test('has partition key pk (S) and no sort key, on demand, TTL on ttl, deleted with the stack', () => {
    // Prepare, Act
    const { template } = synthStack();

    // Assess
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(1);
    const [table] = Object.values(tables);
    expect(table).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(table?.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    expect(table?.Properties.SSESpecification).toBeUndefined();
  });

  test('its key secret is 64 random alphanumeric characters', () => {
    // Prepare, Act
    const { template } = synthStack();

    // Assess
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
    expect(secretIds(template)).toHaveLength(2);
  });

  test('reaches the function as TOKEN_TABLE (its name) and TOKEN_STORE_KEY_SECRET_ID (the key ARN)', () => {
    // Prepare
    const { template } = synthStack();
    const tableId = onlyLogicalId(template, 'AWS::DynamoDB::Table');
    const [keySecretId] = secretIds(template).filter((id) => /TokenStoreKeySecret/.test(id));

    // Act
    const variables = functionProps(template).Environment.Variables;

    // Assess
    expect(variables[ENV.tokenTable]).toEqual({ Ref: tableId });
    expect(variables[ENV.tokenStoreKeySecretId]).toEqual({ Ref: keySecretId });
  });
});

describe('token store: grants', () => {
  test('allows exactly the item actions, on the table ARN only', () => {
    // Prepare
    const { template } = synthStack();
    const tableId = onlyLogicalId(template, 'AWS::DynamoDB::Table');

    // Act
    const dynamodb = statementsOf(template, 'dynamodb');

    // Assess
    expect(dynamodb).toHaveLength(1);
    expect([...asList(dynamodb[0]?.Action)].sort()).toEqual(ITEM_ACTIONS);
    expect(dynamodb[0]?.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
  });

  test('allows no Scan, no Query, nothing table-level, on no index', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const actions = policyStatements(template).flatMap((s) => asList(s.Action).map(String));
    const resources = JSON.stringify(statementsOf(template, 'dynamodb').map((s) => s.Resource));

    // Assess
    for (const action of actions.filter((a) => a.startsWith('dynamodb:'))) {
      expect(action).toMatch(/Item$/);
    }
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:Query');
    expect(actions).not.toContain('dynamodb:DescribeTable');
    expect(resources).not.toMatch(/index/);
  });

  test('allows BatchGetSecretValue alone on *, in the function role’s policy', () => {
    // Prepare
    const { template } = synthStack();
    const roleId = onlyLogicalId(template, 'AWS::IAM::Role');

    // Act
    const onStar = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.filter(
        (s: { Resource: unknown }) => s.Resource === '*',
      ).map((s: { Action: unknown }) => ({ action: s.Action, roles: p.Properties.Roles })),
    );

    // Assess
    expect(onStar).toContainEqual({
      action: 'secretsmanager:BatchGetSecretValue',
      roles: [{ Ref: roleId }],
    });
    const secretActionsOnStar = onStar.filter((s) =>
      asList(s.action).some((a) => String(a).startsWith('secretsmanager:')),
    );
    expect(secretActionsOnStar).toHaveLength(1);
  });

  test('needs no KMS grant with the AWS owned key', () => {
    // Prepare, Act
    const { template } = synthStack();

    // Assess
    expect(statementsOf(template, 'kms')).toEqual([]);
  });
});

describe('token store: your own table', () => {
  test('creates no table, names yours in TOKEN_TABLE, and grants item access to it only', () => {
    // Prepare
    const arn = 'arn:aws:dynamodb:eu-west-1:111122223333:table/broker-tokens';
    const tokenTable = Table.fromTableArn(new Stack(), 'Given', arn);

    // Act
    const { template } = synthConstruct({ ...GIVEN_IDP, tokenTable });

    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(functionProps(template).Environment.Variables[ENV.tokenTable]).toBe('broker-tokens');
    const dynamodb = statementsOf(template, 'dynamodb');
    expect(dynamodb.map((s) => s.Resource)).toEqual([arn]);
    expect([...asList(dynamodb[0]?.Action)].sort()).toEqual(ITEM_ACTIONS);
    expect(secretIds(template)).toHaveLength(2);
  });
});

describe('token store: KMS', () => {
  test('encrypts the created table with the given key and grants its use through DynamoDB only', () => {
    // Prepare
    const props = (stack: Stack) => ({
      ...GIVEN_IDP,
      tokenTableEncryptionKey: new Key(stack, 'TableKey', { enableKeyRotation: true }),
    });

    // Act
    const { template } = synthConstructWith(props);
    const keyId = onlyLogicalId(template, 'AWS::KMS::Key');

    // Assess
    const kms = statementsOf(template, 'kms');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      },
    });
    expect(kms).toHaveLength(1);
    expect(kms[0]).toMatchObject({
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
      Condition: {
        StringEquals: {
          'kms:ViaService': {
            'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
          },
        },
      },
    });
  });

  test('cdk-nag reports nothing unresolved with a KMS key', () => {
    // Prepare
    const built = synthConstructWith((stack) => ({
      tokenTableEncryptionKey: new Key(stack, 'TableKey', { enableKeyRotation: true }),
    }));

    // Act
    const reports = [new AwsSolutionsChecks(built.app), new ServerlessChecks(built.app)].map(
      (pack) => pack.validateScope(built.stack),
    );

    // Assess
    for (const report of reports) expect(report.violations).toEqual([]);
  });
});

describe('token store: off', () => {
  test.each([
    ['the prop', () => synthConstruct({ ...GIVEN_IDP, tokenStore: false }).template],
    ['context', () => synthStack({ tokenStore: 'false' }).template],
  ])('by %s: no table, no key secret, no store variables, grants or store alarm', (_, synth) => {
    // Prepare, Act
    const template = synth();

    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(secretIds(template)).toHaveLength(1);
    const variables = Object.keys(functionProps(template).Environment.Variables);
    expect(variables).not.toContain(ENV.tokenTable);
    expect(variables).not.toContain(ENV.tokenStoreKeySecretId);
    expect(statementsOf(template, 'dynamodb')).toEqual([]);
    expect(JSON.stringify(policyStatements(template))).not.toMatch(/BatchGetSecretValue/);
    expect(alarmsOf(template).map((a) => a.MetricName)).not.toContain(METRICS.storeErrors.name);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test.each([
    ['sharedCircuit', { sharedCircuit: true }],
    ['loginBudgetPerHour', { loginBudgetPerHour: 100 }],
    ['tokenTable', { tokenTable: Table.fromTableName(new Stack(), 'T', 'tokens') }],
  ])('fails when %s is set with the store off', (prop, props) => {
    // Prepare
    const act = () => synthConstruct({ ...GIVEN_IDP, tokenStore: false, ...props });

    // Act, Assess
    expect(act).toThrow(`TokenBroker: ${prop} needs the token store, but tokenStore is false`);
  });
});

describe('token store: alarms', () => {
  test('store errors: Sum ≥ 1 in each of three 5-minute periods, for this function, to the topic', () => {
    // Prepare
    const { template } = synthStack({ alarmTopicArn: TOPIC_ARN });
    const functionId = onlyLogicalId(template, 'AWS::Lambda::Function');

    // Act
    const alarm = alarmsOf(template).find((a) => a.MetricName === METRICS.storeErrors.name);

    // Assess
    expect(alarm).toMatchObject({
      Statistic: 'Sum',
      Threshold: 1,
      Period: 300,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: FUNCTION_DIMENSION, Value: { Ref: functionId } }],
      AlarmActions: [TOPIC_ARN],
      OKActions: [TOPIC_ARN],
    });
  });

  test('login budget: the fleet’s logins this hour reach the budget, to the topic', () => {
    // Prepare
    const { template } = synthStack({ alarmTopicArn: TOPIC_ARN, loginBudgetPerHour: '500' });

    // Act
    const alarm = alarmsOf(template).find((a) => a.MetricName === METRICS.fleetLoginsThisHour.name);

    // Assess
    expect(alarm).toMatchObject({
      Statistic: 'Maximum',
      Threshold: 500,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [TOPIC_ARN],
      OKActions: [TOPIC_ARN],
    });
  });

  test('no login budget alarm when the budget is 0', () => {
    // Prepare, Act
    const { template } = synthStack();

    // Assess
    expect(alarmsOf(template).map((a) => a.MetricName)).not.toContain(
      METRICS.fleetLoginsThisHour.name,
    );
  });
});

describe('token store: dashboard', () => {
  /** The dashboard body as JSON text, with the tokens' pieces joined. */
  const bodyOf = (template: Template): string => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const join = dashboard?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    return join.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
  };

  test('shows every metric an operator needs, for this function', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const body = bodyOf(template);

    // Assess
    for (const metric of [
      METRICS.tokensIssued,
      METRICS.cacheHits,
      METRICS.cacheMisses,
      METRICS.storeHits,
      METRICS.storeMisses,
      METRICS.upstreamLogins,
      METRICS.fleetLoginsThisHour,
      METRICS.leaseWaits,
      METRICS.leaseTakeovers,
      METRICS.storeErrors,
      METRICS.storeLatency,
      METRICS.refreshes,
      METRICS.refreshLogins,
      METRICS.circuitOpen,
      METRICS.sharedCircuitRefusals,
    ]) {
      expect(body).toContain(`"${metric.name}"`);
    }
    expect(body).toContain('"AWS/Lambda","Duration"');
    expect(body).toContain('100 * l1h / (l1h + l1m)');
    expect(body).toContain('100 * l2h / (l2h + l2m)');
    expect(body).toMatch(/"stat":"p50"[\s\S]*"stat":"p99"/);
  });

  test('draws the login budget as a line when there is one', () => {
    // Prepare, Act
    const withBudget = bodyOf(synthStack({ loginBudgetPerHour: '750' }).template);
    const without = bodyOf(synthStack().template);

    // Assess
    expect(withBudget).toContain('"value":750,"label":"Login budget per hour"');
    expect(without).not.toContain('Login budget per hour');
  });

  test('leaves out the store widgets when the store is off', () => {
    // Prepare, Act
    const body = bodyOf(synthStack({ tokenStore: 'false' }).template);

    // Assess
    expect(body).toContain(`"${METRICS.tokensIssued.name}"`);
    expect(body).not.toContain(`"${METRICS.storeHits.name}"`);
    expect(body).not.toContain(`"${METRICS.leaseWaits.name}"`);
  });
});

/**
 * The deploy side of the grants directory (issue 17): the table, the
 * broker's read-only grant on it, `grantGrantsWrite`, the env wiring, the
 * `GET /tokens/devices` route and the audit trail's saved queries. Every app
 * synthesises into a directory of its own, removed when the file is done.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { AccountPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, describe, expect, test } from 'vitest';
import { ENV } from '../../functions/token-broker/config.ts';
import { TokenBroker, type TokenBrokerProps } from '../../infra/token-broker.ts';
import { TokenBrokerStack } from '../../infra/token-broker-stack.ts';
import { functionProps, NO_BUNDLING, onlyLogicalId } from './support.ts';

const GIVEN_IDP = {
  jwtIssuer: 'https://tenant.eu.auth0.com/',
  jwtAudience: ['https://broker.example.com'],
} as const;

const GIVEN_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/broker-grants';

/** The queries of GRANTS-SPEC.md, as written there, one line each. */
const SPEC_QUERIES = {
  'device-given':
    'fields @timestamp, principal, groups, requestId | filter message = "token audit" and served like /(^|,)PRODUCTKEY\\/DEVICENAME(,|$)/ | sort @timestamp desc',
  'principal-given':
    'fields @timestamp, served, refused, failed, outcome, requestId | filter message = "token audit" and principal = "user:SUB" | sort @timestamp desc',
  'refusals-by-principal':
    'filter message = "token audit" and refused != "" | stats count(*) as refusals by principal | sort refusals desc',
};

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** An app that synthesises into a fresh directory, removed after the file. */
function tempApp(context: Record<string, unknown> = {}): App {
  const outdir = mkdtempSync(path.join(tmpdir(), 'grants-table-test-'));
  outdirs.push(outdir);
  return new App({ outdir, context: { ...NO_BUNDLING, ...context } });
}

/** The construct in an empty stack, with props made in that stack. */
function synthBroker(props: (stack: Stack) => Partial<TokenBrokerProps> = () => ({})) {
  const app = tempApp();
  const stack = new Stack(app, 'Host');
  const broker = new TokenBroker(stack, 'Broker', {
    upstreamUrl: 'https://gateway.example.com',
    ...GIVEN_IDP,
    ...props(stack),
  });
  return { app, stack, broker, template: () => Template.fromStack(stack) };
}

/** The deployable stack with the given context. */
function synthApp(context: Record<string, unknown> = {}) {
  const app = tempApp(context);
  const stack = new TokenBrokerStack(app, 'Broker');
  return { app, stack, template: Template.fromStack(stack) };
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/** The logical id of the table keyed by `principal`. */
function grantsTableId(template: Template): string {
  const ids = Object.entries(template.findResources('AWS::DynamoDB::Table'))
    .filter(([, t]) => t.Properties.KeySchema[0].AttributeName === 'principal')
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one grants table, found ${ids.length}`);
  return ids[0] as string;
}

/** Every statement of the policies attached to the role `roleId`. */
function statementsOfRole(template: Template, roleId: string) {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
}

/** The statements whose resources name `resource` (an ARN or a GetAtt). */
function statementsOn(template: Template, roleId: string, resource: unknown) {
  const target = JSON.stringify(resource);
  return statementsOfRole(template, roleId).filter((s) =>
    asList(s.Resource).some((r) => JSON.stringify(r).includes(target)),
  );
}

const functionRoleId = (template: Template) =>
  String((functionProps(template).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);

describe('grants table: created with grantsTable: true', () => {
  test('is keyed by principal (S) alone, on demand, with no TTL', () => {
    // Prepare, Act
    const template = synthBroker(() => ({ grantsTable: true })).template();

    // Assess
    const table = template.toJSON().Resources[grantsTableId(template)];
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'principal', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'principal', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
  });

  test('is data: retained on delete and replace, point-in-time recovery, deletion protection', () => {
    // Prepare, Act
    const template = synthBroker(() => ({ grantsTable: true })).template();

    // Assess
    const table = template.toJSON().Resources[grantsTableId(template)];
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(table.Properties).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  test('the function may only GetItem and BatchGetItem it, in one statement', () => {
    // Prepare
    const template = synthBroker(() => ({ grantsTable: true })).template();
    const tableArn = { 'Fn::GetAtt': [grantsTableId(template), 'Arn'] };

    // Act
    const onTable = statementsOn(template, functionRoleId(template), tableArn);

    // Assess
    expect(onTable).toHaveLength(1);
    expect([...asList(onTable[0]?.Action)].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
    ]);
    expect(onTable[0]).toMatchObject({ Effect: 'Allow', Resource: tableArn });
    expect(onTable[0]?.Condition).toBeUndefined();
  });

  test('is exposed with its construct', () => {
    // Prepare, Act
    const { broker } = synthBroker(() => ({ grantsTable: true }));

    // Assess
    expect(broker.grantsTable).toBe(broker.grantsTableResources?.createdTable);
    expect(broker.grantsTable?.tableArn).toBeDefined();
  });
});

describe('grants table: your own', () => {
  test('creates no table, and gets the same read-only grant on your table’s ARN only', () => {
    // Prepare
    const given = (stack: Stack) => ({
      grantsTable: Table.fromTableArn(stack, 'Given', GIVEN_ARN),
    });

    // Act
    const { broker, template: synth } = synthBroker(given);
    const template = synth();

    // Assess
    expect(() => grantsTableId(template)).toThrow('found 0');
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const onTable = statementsOn(template, functionRoleId(template), GIVEN_ARN);
    expect(onTable).toHaveLength(1);
    expect([...asList(onTable[0]?.Action)].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
    ]);
    expect(onTable[0]?.Resource).toBe(GIVEN_ARN);
    expect(functionProps(template).Environment.Variables[ENV.grantsTable]).toBe('broker-grants');
    expect(broker.grantsTableResources?.createdTable).toBeUndefined();
  });
});

describe('grants table: the function’s environment', () => {
  test('names the created table in GRANTS_TABLE and maps groupsClaim and grantsCache', () => {
    // Prepare
    const props = () => ({
      grantsTable: true,
      groupsClaim: 'example.com:groups',
      grantsCache: Duration.seconds(30),
    });

    // Act
    const template = synthBroker(props).template();

    // Assess
    expect(functionProps(template).Environment.Variables).toMatchObject({
      [ENV.grantsTable]: { Ref: grantsTableId(template) },
      [ENV.groupsClaim]: 'example.com:groups',
      [ENV.grantsCacheSeconds]: '30',
    });
  });

  test('defaults GROUPS_CLAIM to cognito:groups and GRANTS_CACHE_SECONDS to 0', () => {
    // Prepare, Act
    const template = synthBroker(() => ({ grantsTable: true })).template();

    // Assess
    expect(functionProps(template).Environment.Variables).toMatchObject({
      [ENV.groupsClaim]: 'cognito:groups',
      [ENV.grantsCacheSeconds]: '0',
    });
  });

  test('fails when grantsCache is over a minute', () => {
    // Prepare
    const act = () => synthBroker(() => ({ grantsCache: Duration.minutes(2) }));

    // Act, Assess
    expect(act).toThrow('TokenBroker: grantsCache must be a whole number from 0 to 60, got 120');
  });
});

describe('grants table: off', () => {
  test.each([
    ['unset', {}],
    ['false', { grantsTable: false }],
  ])('%s: no grants table, GRANTS_TABLE empty, no grant on any principal-keyed table', (_, p) => {
    // Prepare, Act
    const template = synthBroker(() => p).template();

    // Assess
    expect(() => grantsTableId(template)).toThrow('found 0');
    expect(functionProps(template).Environment.Variables[ENV.grantsTable]).toBe('');
    const actions = statementsOfRole(template, functionRoleId(template)).flatMap((s) =>
      asList(s.Action),
    );
    // The token store's six item verbs, once each: nothing was added for grants.
    expect(actions.filter((a) => a === 'dynamodb:GetItem')).toHaveLength(1);
    expect(actions.filter((a) => a === 'dynamodb:BatchGetItem')).toHaveLength(1);
  });

  test('false gives the very template that leaving it out gives', () => {
    // Prepare
    const without = synthBroker().template().toJSON();

    // Act
    const withFalse = synthBroker(() => ({ grantsTable: false }))
      .template()
      .toJSON();

    // Assess
    expect(JSON.stringify(withFalse)).toBe(JSON.stringify(without));
  });
});

describe('grantGrantsWrite', () => {
  test('lets the grantee UpdateItem and GetItem the grants table, and nothing else', () => {
    // Prepare
    const built = synthBroker(() => ({ grantsTable: true }));
    const backend = new Role(built.stack, 'Backend', {
      assumedBy: new AccountPrincipal('111122223333'),
    });

    // Act
    built.broker.grantGrantsWrite(backend);
    const template = built.template();

    // Assess
    const statements = statementsOfRole(template, onlyIdMatching(template, /^Backend/));
    expect(statements).toHaveLength(1);
    expect([...asList(statements[0]?.Action)].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    expect(statements[0]?.Resource).toEqual({ 'Fn::GetAtt': [grantsTableId(template), 'Arn'] });
  });

  test('grants on your own table by its ARN', () => {
    // Prepare
    const built = synthBroker((stack) => ({
      grantsTable: Table.fromTableArn(stack, 'Given', GIVEN_ARN),
    }));
    const backend = new Role(built.stack, 'Backend', {
      assumedBy: new AccountPrincipal('111122223333'),
    });

    // Act
    built.broker.grantGrantsWrite(backend);
    const template = built.template();

    // Assess
    const statements = statementsOfRole(template, onlyIdMatching(template, /^Backend/));
    expect(statements.map((s) => s.Resource)).toEqual([GIVEN_ARN]);
  });

  test('fails when there is no grants table', () => {
    // Prepare
    const built = synthBroker();
    const backend = new Role(built.stack, 'Backend', {
      assumedBy: new AccountPrincipal('111122223333'),
    });

    // Act
    const act = () => built.broker.grantGrantsWrite(backend);

    // Assess
    expect(act).toThrow(
      'TokenBroker: grantsTable is off, so there is no grants table to grant write access to',
    );
  });
});

/** The logical id of the one IAM role whose id matches `part`. */
function onlyIdMatching(template: Template, part: RegExp): string {
  const ids = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => part.test(id));
  if (ids.length !== 1) throw new Error(`expected one role matching ${part}, found ${ids}`);
  return ids[0] as string;
}

describe('GET /tokens/devices', () => {
  test('has the JWT authorizer and the integration of POST /tokens', () => {
    // Prepare
    const { template } = synthApp();
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties,
    );

    // Act
    const get = routes.find((r) => r.RouteKey === 'GET /tokens/devices');
    const post = routes.find((r) => r.RouteKey === 'POST /tokens');

    // Assess
    expect(routes).toHaveLength(2);
    expect(get).toMatchObject({
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: onlyLogicalId(template, 'AWS::ApiGatewayV2::Authorizer') },
    });
    expect(get?.Target).toEqual(post?.Target);
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
  });

  test('API Gateway may invoke the live alias for it, on that path only', () => {
    // Prepare
    const { template } = synthApp();
    const aliasId = onlyLogicalId(template, 'AWS::Lambda::Alias');

    // Act
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map(
      (p) => p.Properties,
    );

    // Assess
    const forPath = permissions.filter((p) =>
      JSON.stringify(p.SourceArn).endsWith('"/*/*/tokens/devices"]]}'),
    );
    expect(forPath).toHaveLength(1);
    expect(forPath[0]).toMatchObject({
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { Ref: aliasId },
    });
  });

  test('is there without a grants directory too, and CORS allows GET with POST', () => {
    // Prepare, Act
    const { template } = synthApp({ corsAllowedOrigins: 'https://app.example.com' });

    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /tokens/devices' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: { AllowMethods: ['GET', 'POST'] },
    });
  });
});

describe('audit trail: saved queries', () => {
  test('are the three of the spec, on the function’s log group, named under the stack', () => {
    // Prepare
    const { template } = synthApp();
    const logGroupId = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) =>
      /FunctionLogs/.test(id),
    );

    // Act
    const queries = Object.values(template.findResources('AWS::Logs::QueryDefinition')).map(
      (q) => q.Properties,
    );

    // Assess
    expect(
      Object.fromEntries(queries.map((q) => [q.Name, q.QueryString.replaceAll('\n| ', ' | ')])),
    ).toEqual({
      'visual-token-broker/Broker/device-given': SPEC_QUERIES['device-given'],
      'visual-token-broker/Broker/principal-given': SPEC_QUERIES['principal-given'],
      'visual-token-broker/Broker/refusals-by-principal': SPEC_QUERIES['refusals-by-principal'],
    });
    for (const q of queries) expect(q.LogGroupNames).toEqual([{ Ref: logGroupId }]);
  });

  test('are made with the token store and the grants table off too, and exposed', () => {
    // Prepare, Act
    const { stack, template } = synthApp({ tokenStore: 'false' });

    // Assess
    template.resourceCountIs('AWS::Logs::QueryDefinition', 3);
    const { deviceGiven, principalGiven, refusalsByPrincipal } = stack.broker.auditQueries;
    for (const q of [deviceGiven, principalGiven, refusalsByPrincipal]) {
      expect(q.queryDefinitionId).toBeDefined();
    }
  });
});

describe('audit trail: docs/operations.md', () => {
  test('shows each saved query as the template has it, one line', () => {
    // Prepare
    const { template } = synthApp();
    const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Audit trail\n'), doc.indexOf('\n## Metrics\n'));

    // Act
    const queries = Object.values(template.findResources('AWS::Logs::QueryDefinition')).map((q) =>
      String(q.Properties.QueryString).replaceAll('\n| ', ' | '),
    );

    // Assess
    expect(queries).toHaveLength(3);
    for (const query of queries) expect(section).toContain(`\n\`\`\`\n${query}\n\`\`\`\n`);
  });
});

describe('stack context: grantsTable', () => {
  test('-c grantsTable=true creates the table and outputs its name', () => {
    // Prepare, Act
    const { template } = synthApp({ grantsTable: 'true' });

    // Assess
    const tableId = grantsTableId(template);
    template.hasOutput('GrantsTableName', { Value: { Ref: tableId } });
    expect(functionProps(template).Environment.Variables[ENV.grantsTable]).toEqual({
      Ref: tableId,
    });
  });

  test('-c grantsTable=false creates none and outputs nothing', () => {
    // Prepare, Act
    const { template } = synthApp({ grantsTable: 'false' });

    // Assess
    expect(() => grantsTableId(template)).toThrow('found 0');
    expect(Object.keys(template.findOutputs('GrantsTableName'))).toEqual([]);
  });

  test('fails when -c grantsTable is not true or false', () => {
    // Prepare
    const act = () => synthApp({ grantsTable: 'yes' });

    // Act, Assess
    expect(act).toThrow('Context "grantsTable" must be true or false, got "yes"');
  });
});

describe('cdk-nag with the grants table', () => {
  test.each([
    ['created', () => synthApp({ grantsTable: 'true' })],
    ['created, store off', () => synthApp({ grantsTable: 'true', tokenStore: 'false' })],
    [
      'yours, with a backend role',
      () => {
        const built = synthBroker((stack) => ({
          grantsTable: Table.fromTableArn(stack, 'Given', GIVEN_ARN),
        }));
        built.broker.grantGrantsWrite(
          new Role(built.stack, 'Backend', { assumedBy: new AccountPrincipal('111122223333') }),
        );
        return built;
      },
    ],
  ])('AwsSolutions and Serverless report nothing unresolved: %s', (_, build) => {
    // Prepare
    const { app, stack } = build();

    // Act
    const reports = [new AwsSolutionsChecks(app), new ServerlessChecks(app)].map((pack) =>
      pack.validateScope(stack),
    );

    // Assess
    for (const report of reports) expect(report.violations).toEqual([]);
  });
});

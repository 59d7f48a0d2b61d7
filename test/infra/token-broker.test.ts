import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { DEFAULTS, ENV } from '../../functions/token-broker/config.ts';
import { FUNCTION_DIMENSION, METRICS_NAMESPACE } from '../../functions/token-broker/metrics.ts';
import { ESBUILD_OPTIONS, HANDLER_ENTRY } from '../../infra/lambda-bundling.ts';
import { COGNITO_DEVICE_CLAIM, type TokenBrokerProps } from '../../infra/token-broker.ts';
import { PLACEHOLDER_UPSTREAM_URL } from '../../infra/token-broker-stack.ts';
import {
  buildConstruct,
  functionProps,
  onlyLogicalId,
  policyStatements,
  synthConstruct,
  synthStack,
} from './support.ts';

const GIVEN_IDP = {
  jwtIssuer: 'https://tenant.eu.auth0.com/',
  jwtAudience: ['https://broker.example.com'],
} as const;

const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** The logical id of the one secret whose id contains `part`. */
function secretIdMatching(template: Template, part: RegExp): string {
  const ids = Object.keys(template.findResources('AWS::SecretsManager::Secret')).filter((id) =>
    part.test(id),
  );
  if (ids.length !== 1) throw new Error(`expected one secret matching ${part}, found ${ids}`);
  return ids[0] as string;
}
const credentialsSecretId = (template: Template) => secretIdMatching(template, /Credentials/);
const storeKeySecretId = (template: Template) => secretIdMatching(template, /TokenStoreKeySecret/);

describe('function', () => {
  test('runs on nodejs24.x, arm64, with explicit memory, timeout and reserved concurrency', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const fn = functionProps(template);

    // Assess
    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 15,
      ReservedConcurrentExecutions: 10,
      TracingConfig: { Mode: 'Active' },
    });
  });

  test('bundling options are ESM for node24, minified, no source map, SDK bundled', () => {
    // Prepare
    const o = ESBUILD_OPTIONS;

    // Act
    const entry = HANDLER_ENTRY;

    // Assess
    expect(entry).toBe('functions/token-broker/index.ts');
    expect(o).toMatchObject({
      format: 'esm',
      platform: 'node',
      target: 'node24',
      minify: true,
      keepNames: false,
      sourcemap: false,
    });
    expect(o.mainFields).toEqual(['module', 'main']);
    expect(o.external).toEqual([]);
  });

  test.each(Object.entries(ENV) as Array<[keyof typeof ENV, string]>)(
    'sets %s as %s, the name the function reads',
    (_field, name) => {
      // Prepare
      const { template } = synthStack();

      // Act
      const variables = functionProps(template).Environment.Variables;

      // Assess
      expect(Object.keys(variables)).toContain(name);
    },
  );

  test('sets no variable the function does not read', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const names = Object.keys(functionProps(template).Environment.Variables).sort();

    // Assess
    expect(names).toEqual(Object.values(ENV).sort());
  });

  test.each(Object.entries(DEFAULTS) as Array<[keyof typeof DEFAULTS, string | number]>)(
    'defaults %s to the function’s own default',
    (field, value) => {
      // Prepare
      const { template } = synthConstruct(GIVEN_IDP);

      // Act
      const variables = functionProps(template).Environment.Variables;

      // Assess
      expect(variables[ENV[field]]).toBe(String(value));
    },
  );

  test('passes the secret by ARN in SECRET_ID', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const secretId = credentialsSecretId(template);

    // Assess
    expect(functionProps(template).Environment.Variables[ENV.secretId]).toEqual({
      Ref: secretId,
    });
  });

  test('maps every prop onto its variable', () => {
    // Prepare
    const props: Partial<TokenBrokerProps> = {
      ...GIVEN_IDP,
      upstreamUrl: 'https://gateway.example.com/base/',
      deviceScopeClaim: 'example.com:devices',
      allowedProductKeys: ['pk1', 'pk2'],
      corsAllowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
      maxDevicesPerRequest: 10,
      minTokenValidity: Duration.minutes(2),
      upstreamBatchSize: 5,
      upstreamTimeout: Duration.millis(2500),
      upstreamMaxRetries: 1,
      upstreamMaxConcurrentLogins: 3,
      circuitBreakerThreshold: 7,
      circuitBreakerCooldown: Duration.minutes(1),
      secretCache: Duration.seconds(60),
      secretMaxStale: Duration.minutes(10),
      tokenCacheMaxEntries: 500,
      logLevel: 'warn',
    };

    // Act
    const { template } = synthConstruct(props);

    // Assess
    expect(functionProps(template).Environment.Variables).toMatchObject({
      [ENV.upstreamUrl]: 'https://gateway.example.com/base',
      [ENV.deviceScopeClaim]: 'example.com:devices',
      [ENV.allowedProductKeys]: 'pk1,pk2',
      [ENV.corsAllowedOrigins]: 'https://app.example.com,http://localhost:5173',
      [ENV.maxDevicesPerRequest]: '10',
      [ENV.minTokenValiditySeconds]: '120',
      [ENV.upstreamBatchSize]: '5',
      [ENV.upstreamTimeoutMs]: '2500',
      [ENV.upstreamMaxRetries]: '1',
      [ENV.upstreamMaxConcurrentLogins]: '3',
      [ENV.circuitBreakerThreshold]: '7',
      [ENV.circuitBreakerCooldownSeconds]: '60',
      [ENV.secretCacheSeconds]: '60',
      [ENV.secretMaxStaleSeconds]: '600',
      [ENV.tokenCacheMaxEntries]: '500',
      [ENV.logLevel]: 'warn',
    });
  });

  test('writes to its own log group, kept for a month', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const groups = template.findResources('AWS::Logs::LogGroup');

    // Assess
    expect(Object.keys(groups)).toHaveLength(2);
    for (const group of Object.values(groups)) {
      expect(group.Properties.RetentionInDays).toBe(30);
    }
    expect(functionProps(template).LoggingConfig).toEqual({
      LogGroup: { Ref: expect.stringMatching(/FunctionLogs/) },
    });
  });
});

describe('IAM', () => {
  test('allows secretsmanager:GetSecretValue only on the created secret and the store key', () => {
    // Prepare
    const { template } = synthStack();
    const secretId = credentialsSecretId(template);
    const keySecretId = storeKeySecretId(template);

    // Act
    const reading = policyStatements(template).filter((s) =>
      asList(s.Action).includes('secretsmanager:GetSecretValue'),
    );

    // Assess
    expect(reading.map((s) => s.Resource)).toEqual([{ Ref: secretId }, { Ref: keySecretId }]);
  });

  test('allows secretsmanager:GetSecretValue only on a given secret', () => {
    // Prepare
    const arn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:broker/creds-AbCdEf';
    const stack = new Stack();
    const secret = Secret.fromSecretCompleteArn(stack, 'Given', arn);

    // Act
    const { template } = synthConstruct({ secret });

    // Assess
    const reading = policyStatements(template).filter((s) =>
      asList(s.Action).includes('secretsmanager:GetSecretValue'),
    );
    expect(reading.map((s) => s.Resource)).toEqual([arn, { Ref: storeKeySecretId(template) }]);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(functionProps(template).Environment.Variables[ENV.secretId]).toBe(arn);
  });

  test('no statement has a wildcard action; only X-Ray and BatchGetSecretValue have a * resource', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const statements = policyStatements(template);

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      for (const action of asList(s.Action)) expect(action).not.toMatch(/\*/);
      if (s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'))) {
        for (const action of asList(s.Action)) {
          expect(action).toMatch(/^xray:|^secretsmanager:BatchGetSecretValue$/);
        }
      }
    }
  });

  test('attaches no managed policy to the function role', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const roles = Object.values(template.findResources('AWS::IAM::Role'));

    // Assess
    expect(roles).toHaveLength(1);
    expect(roles[0]?.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('no Lambda permission has principal *', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));

    // Assess
    expect(permissions.length).toBeGreaterThan(0);
    for (const p of permissions) {
      expect(p.Properties.Principal).toBe('apigateway.amazonaws.com');
      expect(p.Properties.SourceArn).toBeDefined();
    }
  });

  test('grantInvoke lets another Lambda invoke the live alias only, never $LATEST', () => {
    // Prepare
    const { stack, broker } = buildConstruct(GIVEN_IDP);
    const caller = new LambdaFunction(stack, 'Caller', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => {};'),
    });

    // Act
    broker.grantInvoke(caller);

    // Assess
    const aliasId = stack.getLogicalId(broker.alias.node.defaultChild as never);
    const invoking = policyStatements(Template.fromStack(stack)).filter((s) =>
      asList(s.Action).includes('lambda:InvokeFunction'),
    );
    expect(invoking).toHaveLength(1);
    expect(invoking[0]?.Resource).toEqual({ Ref: aliasId });
  });
});

describe('HTTP API', () => {
  test('POST /tokens and GET /tokens/devices are the only routes, each with the JWT authorizer', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const authorizerId = onlyLogicalId(template, 'AWS::ApiGatewayV2::Authorizer');

    // Assess
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
    for (const routeKey of ['POST /tokens', 'GET /tokens/devices']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    }
  });

  test('throttles the stage and writes JSON access logs without headers', () => {
    // Prepare
    const { template } = synthStack({ throttlingRateLimit: '20', throttlingBurstLimit: '40' });

    // Act
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];

    // Assess
    expect(stage?.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [expect.stringMatching(/AccessLogs/), 'Arn'] },
      },
    });
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(JSON.stringify(format)).not.toMatch(/header|body/i);
  });

  test('has default throttling of 50 per second, burst 100', () => {
    // Prepare
    const { template } = synthStack();

    // Act, Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  test('answers CORS preflight for exactly the given origins, and tells the function', () => {
    // Prepare
    const origins = 'https://app.example.com,https://admin.example.com';

    // Act
    const { template } = synthStack({ corsAllowedOrigins: origins });

    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://app.example.com', 'https://admin.example.com'],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: ['Authorization', 'Content-Type'],
        MaxAge: 600,
      },
    });
    expect(functionProps(template).Environment.Variables[ENV.corsAllowedOrigins]).toBe(origins);
  });

  test('has no CORS configuration when no origin is given', () => {
    // Prepare
    const { template } = synthStack();

    // Act, Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.absent(),
    });
    expect(functionProps(template).Environment.Variables[ENV.corsAllowedOrigins]).toBe('');
  });
});

describe('authorizer', () => {
  test('uses a given issuer and audience, and creates no user pool', () => {
    // Prepare
    const context = {
      jwtIssuer: GIVEN_IDP.jwtIssuer,
      jwtAudience: GIVEN_IDP.jwtAudience.join(','),
    };

    // Act
    const { template } = synthStack(context);

    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: GIVEN_IDP.jwtIssuer, Audience: [...GIVEN_IDP.jwtAudience] },
    });
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(functionProps(template).Environment.Variables[ENV.deviceScopeClaim]).toBe('devices');
    expect(Object.keys(template.findOutputs('*'))).not.toContain('UserPoolId');
  });

  test('creates a locked-down Cognito pool whose ID tokens the authorizer accepts', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const poolId = onlyLogicalId(template, 'AWS::Cognito::UserPool');
    const clientId = onlyLogicalId(template, 'AWS::Cognito::UserPoolClient');

    // Assess
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'devices', AttributeDataType: 'String', Mutable: true }),
      ]),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: {
        Audience: [{ Ref: clientId }],
        Issuer: {
          'Fn::Join': [
            '',
            Match.arrayWith([Match.stringLikeRegexp('cognito-idp'), { Ref: poolId }]),
          ],
        },
      },
    });
    expect(functionProps(template).Environment.Variables[ENV.deviceScopeClaim]).toBe(
      COGNITO_DEVICE_CLAIM,
    );
    expect(Object.keys(template.findOutputs('*'))).toEqual(
      expect.arrayContaining(['UserPoolId', 'UserPoolClientId']),
    );
  });

  test('users cannot write their own device grants, nor sign in with a plain password', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0];

    // Assess
    expect(client?.Properties.ReadAttributes).toContain(COGNITO_DEVICE_CLAIM);
    expect(client?.Properties.WriteAttributes).toEqual(['email']);
    expect(client?.Properties.GenerateSecret).toBe(false);
    expect(client?.Properties.ExplicitAuthFlows.sort()).toEqual([
      'ALLOW_ADMIN_USER_PASSWORD_AUTH',
      'ALLOW_REFRESH_TOKEN_AUTH',
      'ALLOW_USER_SRP_AUTH',
    ]);
  });
});

describe('alarms', () => {
  test('watch function errors and throttles, API 5xx, p99 latency and the broker’s own metrics', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties,
    );

    // Assess
    expect(alarms.map((a) => `${a.Namespace}/${a.MetricName}`).sort()).toEqual([
      'AWS/ApiGateway/5xx',
      'AWS/ApiGateway/Latency',
      'AWS/Lambda/Errors',
      'AWS/Lambda/Throttles',
      'VisualTokenBroker/CircuitBreakerOpen',
      'VisualTokenBroker/SecretFetchFailures',
      'VisualTokenBroker/StoreErrors',
      'VisualTokenBroker/UpstreamFailures',
    ]);
    expect(alarms.find((a) => a.MetricName === 'Latency')).toMatchObject({
      ExtendedStatistic: 'p99',
      Threshold: 5000,
    });
    for (const a of alarms) expect(a.TreatMissingData).toBe('notBreaching');
  });

  test('notify the given topic, on alarm and on recovery', () => {
    // Prepare
    const topicArn = 'arn:aws:sns:eu-west-1:111122223333:ops';

    // Act
    const { template } = synthStack({ alarmTopicArn: topicArn });

    // Assess
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(8);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([topicArn]);
      expect(a.Properties.OKActions).toEqual([topicArn]);
    }
  });

  test('addAlarm watches a custom metric with the same topic', () => {
    // Prepare
    const { stack, broker } = buildConstruct({
      ...GIVEN_IDP,
      alarmTopic: Topic.fromTopicArn(new Stack(), 'T', 'arn:aws:sns:eu-west-1:111122223333:ops'),
    });
    const metric = new Metric({ namespace: 'VisualTokenBroker', metricName: 'UpstreamFailures' });

    // Act
    broker.addAlarm('UpstreamAlarm', { metric, threshold: 3, description: 'upstream failing' });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'UpstreamFailures',
      Threshold: 3,
      AlarmActions: ['arn:aws:sns:eu-west-1:111122223333:ops'],
    });
    expect(broker.alarms).toHaveLength(9);
  });

  test.each([
    ['UpstreamFailures', 'Sum', 5],
    ['CircuitBreakerOpen', 'Maximum', 1],
    ['SecretFetchFailures', 'Sum', 1],
  ])(
    'alarm on the EMF metric %s (%s ≥ %i) for this function only',
    (name, statistic, threshold) => {
      // Prepare
      const { template } = synthStack();
      const functionId = onlyLogicalId(template, 'AWS::Lambda::Function');

      // Act
      const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
        .map((a) => a.Properties)
        .find((a) => a.MetricName === name);

      // Assess
      expect(alarm).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        Statistic: statistic,
        Threshold: threshold,
        Period: 300,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Dimensions: [{ Name: FUNCTION_DIMENSION, Value: { Ref: functionId } }],
      });
    },
  );
});

describe('cdk-nag', () => {
  test.each([
    ['created Cognito pool', {}],
    ['given issuer', { jwtIssuer: GIVEN_IDP.jwtIssuer, jwtAudience: 'aud' }],
    ['token store off', { tokenStore: 'false' }],
    ['login budget', { loginBudgetPerHour: '100', sharedCircuit: 'true' }],
    ['grants table', { grantsTable: 'true' }],
  ])('AwsSolutions and Serverless report nothing unresolved with the %s', (_, context) => {
    // Prepare
    const { app, stack } = synthStack(context);

    // Act
    const reports = [new AwsSolutionsChecks(app), new ServerlessChecks(app)].map((pack) =>
      pack.validateScope(stack),
    );

    // Assess
    for (const report of reports) {
      expect(report.violations).toEqual([]);
      expect(report.success).toBe(true);
    }
  });

  test('every acknowledgement names a rule and gives a reason; none on GetSecretValue', () => {
    // Prepare
    const { stack } = synthStack();

    // Act
    const acks = stack.node.findAll().flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
            path: c.node.path,
            id,
            reason,
          })),
        ),
    );

    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^Annotation::(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[[^\]]+\])?$/);
      expect(ack.reason.length).toBeGreaterThan(60);
      expect(ack.path).not.toBe(stack.node.path);
      expect(ack.id).not.toMatch(/secretsmanager/i);
    }
  });
});

describe('cdk-nag acknowledgements', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const acknowledgedIds = (context: Record<string, unknown>) =>
    synthStack(context)
      .stack.node.findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((m) => Object.keys(m.data as object)),
      )
      .map((id) => id.replace(/^Annotation::/, ''))
      .sort();

  test.each([
    ['created Cognito pool', {}],
    ['given issuer', { jwtIssuer: GIVEN_IDP.jwtIssuer, jwtAudience: 'aud' }],
    ['token store off', { tokenStore: 'false' }],
    ['login budget', { loginBudgetPerHour: '100', sharedCircuit: 'true' }],
    ['grants table', { grantsTable: 'true' }],
  ])('each one silences a finding that exists, with the %s', (_, context) => {
    // Prepare
    const expected = acknowledgedIds(context);
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => {});
    const { app, stack } = synthStack(context);

    // Act
    // One finding per rule and resource: two secrets, two policies.
    const found = [new AwsSolutionsChecks(app), new ServerlessChecks(app)]
      .flatMap((pack) => pack.validateScope(stack).violations)
      .flatMap((v) => v.violatingResources.map(() => v.ruleName))
      .sort();

    // Assess
    expect(found).toEqual(expected);
    expect(found).not.toContain('AwsSolutions-IAM5[Action::secretsmanager:GetSecretValue]');
  });
});

describe('stack settings', () => {
  test('synthesizes with no settings: environment-agnostic, placeholder upstream, outputs', () => {
    // Prepare, Act
    const { stack, template } = synthStack();

    // Assess
    expect(stack.environment).toBe('aws://unknown-account/unknown-region');
    expect(functionProps(template).Environment.Variables[ENV.upstreamUrl]).toBe(
      PLACEHOLDER_UPSTREAM_URL,
    );
    expect(Object.keys(template.findOutputs('*'))).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'FunctionName',
        'FunctionArn',
        'SecretArn',
        'DashboardName',
        'TokenTableName',
      ]),
    );
  });

  test('warns at synth when the placeholder upstream is used, and only then', () => {
    // Prepare
    const warningId = /placeholder-upstream/;

    // Act
    const placeholder = Annotations.fromStack(synthStack().stack);
    const real = Annotations.fromStack(
      synthStack({ upstreamUrl: 'https://gateway.example.com' }).stack,
    );

    // Assess
    placeholder.hasWarning('/Broker', Match.stringLikeRegexp('No upstreamUrl in context'));
    expect(JSON.stringify(real.findWarning('*', Match.anyValue()))).not.toMatch(warningId);
  });

  test('reads -c string values as numbers and lists', () => {
    // Prepare
    const context = {
      upstreamUrl: 'https://gateway.example.com',
      maxDevicesPerRequest: '25',
      upstreamTimeoutMs: '2000',
      allowedProductKeys: 'pk1, pk2',
      reservedConcurrentExecutions: '3',
      secretMaxStaleSeconds: '120',
      logLevel: 'debug',
    };

    // Act
    const { template } = synthStack(context);

    // Assess
    expect(functionProps(template)).toMatchObject({
      ReservedConcurrentExecutions: 3,
      Environment: {
        Variables: {
          [ENV.upstreamUrl]: 'https://gateway.example.com',
          [ENV.maxDevicesPerRequest]: '25',
          [ENV.upstreamTimeoutMs]: '2000',
          [ENV.allowedProductKeys]: 'pk1,pk2',
          [ENV.secretMaxStaleSeconds]: '120',
          [ENV.logLevel]: 'debug',
        },
      },
    });
  });

  test('fails when a numeric context value is not a number', () => {
    // Prepare
    const context = { maxDevicesPerRequest: 'fifty' };

    // Act
    const act = () => synthStack(context);

    // Assess
    expect(act).toThrow('Context "maxDevicesPerRequest" must be a number, got "fifty"');
  });
});

describe('bad props fail synth with a clear message', () => {
  test.each<[string, Partial<TokenBrokerProps>, RegExp]>([
    [
      'the upstream URL is http',
      { upstreamUrl: 'http://gateway.example.com' },
      /upstreamUrl must use https:/,
    ],
    [
      'the upstream URL has user info',
      { upstreamUrl: 'https://u:p@gateway.example.com' },
      /upstreamUrl must not contain user info/,
    ],
    [
      'the upstream URL has a query',
      { upstreamUrl: 'https://gateway.example.com/?a=1' },
      /upstreamUrl must not contain a query string/,
    ],
    ['the upstream URL is not a URL', { upstreamUrl: 'gateway' }, /upstreamUrl is not a valid URL/],
    [
      'maxDevicesPerRequest is 0',
      { maxDevicesPerRequest: 0 },
      /maxDevicesPerRequest must be a whole number from 1 to 500, got 0/,
    ],
    [
      'upstreamBatchSize is fractional',
      { upstreamBatchSize: 2.5 },
      /upstreamBatchSize must be a whole number from 1 to 100/,
    ],
    [
      'upstreamTimeout is too short',
      { upstreamTimeout: Duration.millis(50) },
      /upstreamTimeout must be a whole number from 100 to 60000/,
    ],
    [
      'a CORS origin is a wildcard',
      { corsAllowedOrigins: ['*'] },
      /corsAllowedOrigins entries must be exact origins/,
    ],
    [
      'a CORS origin has a path',
      { corsAllowedOrigins: ['https://app.example.com/'] },
      /corsAllowedOrigins entries must be exact origins/,
    ],
    [
      'an origin is not http or https',
      { corsAllowedOrigins: ['ws://app.example.com'] },
      /corsAllowedOrigins entries must be exact origins/,
    ],
    [
      'a product key is invalid',
      { allowedProductKeys: ['pk-1'] },
      /allowedProductKeys holds an invalid product key "pk-1"/,
    ],
    [
      'the claim name has a space',
      { deviceScopeClaim: 'my devices' },
      /deviceScopeClaim must be a claim name/,
    ],
    [
      'only jwtIssuer is given',
      { jwtIssuer: 'https://idp.example.com/' },
      /jwtIssuer and jwtAudience must be given together/,
    ],
    [
      'jwtIssuer is http',
      { jwtIssuer: 'http://idp.example.com/', jwtAudience: ['a'] },
      /jwtIssuer must be an https URL/,
    ],
    [
      'the log level is unknown',
      { logLevel: 'verbose' as never },
      /logLevel must be one of debug, info, warn, error, got "verbose"/,
    ],
    [
      'reserved concurrency is 0',
      { reservedConcurrentExecutions: 0 },
      /reservedConcurrentExecutions must be a whole number from 1/,
    ],
    [
      'memory is below 128 MiB',
      { memorySize: 64 },
      /memorySize must be a whole number from 128 to 10240/,
    ],
    [
      'the burst limit is negative',
      { throttlingBurstLimit: -1 },
      /throttlingBurstLimit must be a whole number from 1/,
    ],
    [
      'the timeout leaves no room for retries',
      { timeout: Duration.seconds(9) },
      /timeout \(9 s\) must exceed upstreamTimeout × \(upstreamMaxRetries \+ 1\) = 9 s/,
    ],
  ])('fails when %s', (_, props, message) => {
    // Prepare
    const act = () => synthConstruct(props);

    // Act, Assess
    expect(act).toThrow(message);
  });
});

describe('stack settings: typos', () => {
  test('fails when a context setting is misspelt, naming the setting it resembles', () => {
    // Prepare
    const { stack } = synthStack({ upstreamURL: 'https://gateway.example.com' });
    // Act
    const errors = Annotations.fromStack(stack).findError('*', Match.anyValue());
    // Assess
    expect(errors.map((e) => e.entry.data)).toEqual([
      expect.stringContaining(
        'Unknown setting "upstreamURL" in CDK context; did you mean "upstreamUrl"?',
      ),
    ]);
  });

  test('fails when a context setting is a letter off, naming the setting it resembles', () => {
    // Prepare
    const { stack } = synthStack({ secretCacheSecond: 60 });
    // Act
    const errors = Annotations.fromStack(stack).findError('*', Match.anyValue());
    // Assess
    expect(errors.map((e) => e.entry.data)).toEqual([
      expect.stringContaining('did you mean "secretCacheSeconds"?'),
    ]);
  });

  test('accepts every documented setting and CDK’s own context keys', () => {
    // Prepare
    const { stack } = synthStack({
      upstreamUrl: 'https://gateway.example.com',
      '@aws-cdk/core:newStyleStackSynthesis': true,
      'acknowledged-issue-numbers': [1],
    });
    // Act
    const errors = Annotations.fromStack(stack).findError('*', Match.anyValue());
    // Assess
    expect(errors).toEqual([]);
  });
});

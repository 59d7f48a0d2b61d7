/**
 * `TokenBroker`: the reusable construct. One function, an HTTP API with a JWT
 * authorizer in front of it, the credentials secret, and alarms; secure with
 * no tuning, so a team can drop it into its own CDK app.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpJwtAuthorizer,
  HttpUserPoolAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  type MetricOptions,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  AccountRecovery,
  ClientAttributes,
  Mfa,
  StringAttribute,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { type Grant, type IGrantable, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { HANDLER_ENTRY, HANDLER_EXPORT, nodejsBundlingOptions } from './lambda-bundling.ts';

/** Project root, so the entry resolves whatever the working directory. */
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The environment variables the function reads, by setting. Spelled here once
 * for infra/; a stack test pins each pair against the function's own list.
 */
export const FUNCTION_ENV = {
  secretId: 'SECRET_ID',
  upstreamUrl: 'UPSTREAM_URL',
  maxDevicesPerRequest: 'MAX_DEVICES_PER_REQUEST',
  minTokenValiditySeconds: 'MIN_TOKEN_VALIDITY_SECONDS',
  upstreamBatchSize: 'UPSTREAM_BATCH_SIZE',
  upstreamTimeoutMs: 'UPSTREAM_TIMEOUT_MS',
  secretCacheSeconds: 'SECRET_CACHE_SECONDS',
  secretMaxStaleSeconds: 'SECRET_MAX_STALE_SECONDS',
  tokenCacheMaxEntries: 'TOKEN_CACHE_MAX_ENTRIES',
  upstreamMaxRetries: 'UPSTREAM_MAX_RETRIES',
  upstreamMaxConcurrentLogins: 'UPSTREAM_MAX_CONCURRENT_LOGINS',
  circuitBreakerThreshold: 'CIRCUIT_BREAKER_THRESHOLD',
  circuitBreakerCooldownSeconds: 'CIRCUIT_BREAKER_COOLDOWN_SECONDS',
  deviceScopeClaim: 'DEVICE_SCOPE_CLAIM',
  allowedProductKeys: 'ALLOWED_PRODUCT_KEYS',
  corsAllowedOrigins: 'CORS_ALLOWED_ORIGINS',
  logLevel: 'LOG_LEVEL',
} as const;

/**
 * Runtime defaults, the same as the function's own (a test pins them), so the
 * template states every value the function runs with.
 */
export const RUNTIME_DEFAULTS = {
  maxDevicesPerRequest: 50,
  minTokenValiditySeconds: 300,
  upstreamBatchSize: 20,
  upstreamTimeoutMs: 3000,
  secretCacheSeconds: 300,
  secretMaxStaleSeconds: 3600,
  tokenCacheMaxEntries: 10_000,
  upstreamMaxRetries: 2,
  upstreamMaxConcurrentLogins: 4,
  circuitBreakerThreshold: 5,
  circuitBreakerCooldownSeconds: 30,
  deviceScopeClaim: 'devices',
  logLevel: 'info',
} as const;

/**
 * The function's own metrics (CloudWatch Embedded Metric Format), each with
 * the dimension `FunctionName`. The same names as the function's metrics.ts
 * (a test pins them).
 */
export const BROKER_METRICS = {
  namespace: 'VisualTokenBroker',
  dimension: 'FunctionName',
  tokensIssued: 'TokensIssued',
  cacheHits: 'CacheHits',
  cacheMisses: 'CacheMisses',
  upstreamLogins: 'UpstreamLogins',
  upstreamLatency: 'UpstreamLatency',
  upstreamFailures: 'UpstreamFailures',
  secretFetches: 'SecretFetches',
  secretFetchFailures: 'SecretFetchFailures',
  staleSecretServed: 'StaleSecretServed',
  circuitOpen: 'CircuitBreakerOpen',
} as const;

/** A metric the function emits, by its key in {@link BROKER_METRICS}. */
export type BrokerMetricName = Exclude<keyof typeof BROKER_METRICS, 'namespace' | 'dimension'>;

/** The device-grants claim of the created Cognito pool's ID tokens. */
export const COGNITO_DEVICE_CLAIM = 'custom:devices';

/** Log levels the function accepts. */
export const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'];

/** A log level the function accepts. */
export type TokenBrokerLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Props of {@link TokenBroker}. */
export interface TokenBrokerProps {
  /** Base URL of the provider's gateway: https, no user info, no query string. */
  readonly upstreamUrl: string;
  /**
   * Secret holding the developer credentials (JSON: userName, password, and
   * appCode or appKey/appSecret).
   * @default - a new secret with a generated placeholder, to be filled in after deploy
   */
  readonly secret?: ISecret;
  /**
   * Issuer (`iss`) of the callers' JWTs, e.g. your Auth0, Okta or Entra ID
   * tenant, or an existing Cognito pool. Give it together with `jwtAudience`.
   * @default - a new Cognito user pool and app client are created
   */
  readonly jwtIssuer?: string;
  /**
   * Accepted audiences (`aud`, or `client_id` for Cognito access tokens).
   * @default - the created Cognito app client's id
   */
  readonly jwtAudience?: readonly string[];
  /**
   * JWT claim carrying the caller's device grants.
   * @default - `custom:devices` with the created Cognito pool (ID tokens), otherwise `devices`
   */
  readonly deviceScopeClaim?: string;
  /**
   * Products every caller is limited to.
   * @default - no deployment-wide product limit
   */
  readonly allowedProductKeys?: readonly string[];
  /**
   * Exact browser origins allowed by CORS, e.g. `https://app.example.com`.
   * @default - none: no CORS preflight, for server-side callers only
   */
  readonly corsAllowedOrigins?: readonly string[];
  /**
   * Most devices one request may name (1–500).
   * @default 50
   */
  readonly maxDevicesPerRequest?: number;
  /**
   * A cached token is served only while it has at least this long left (0–1 day).
   * @default Duration.minutes(5)
   */
  readonly minTokenValidity?: Duration;
  /**
   * Most devices in one upstream login call (1–100).
   * @default 20
   */
  readonly upstreamBatchSize?: number;
  /**
   * Time limit of one upstream attempt (100 ms – 60 s).
   * @default Duration.seconds(3)
   */
  readonly upstreamTimeout?: Duration;
  /**
   * Most retries of one upstream login after a transient failure (0–10).
   * @default 2
   */
  readonly upstreamMaxRetries?: number;
  /**
   * Most upstream logins in flight at once, per function instance (1–100).
   * @default 4
   */
  readonly upstreamMaxConcurrentLogins?: number;
  /**
   * Consecutive upstream failures that open the circuit breaker (1–1000).
   * @default 5
   */
  readonly circuitBreakerThreshold?: number;
  /**
   * How long the open circuit fails fast before one probe (1 s – 1 h).
   * @default Duration.seconds(30)
   */
  readonly circuitBreakerCooldown?: Duration;
  /**
   * How long the secret is cached in the function (0–1 day).
   * @default Duration.minutes(5)
   */
  readonly secretCacheDuration?: Duration;
  /**
   * How long past `secretCacheDuration` the function keeps serving the last
   * good secret while Secrets Manager is unreachable (0–1 day; 0 disables).
   * Deleted secrets and revoked access are never served stale.
   * @default Duration.hours(1)
   */
  readonly secretMaxStale?: Duration;
  /**
   * Most tokens kept in memory per function instance.
   * @default 10000
   */
  readonly tokenCacheMaxEntries?: number;
  /**
   * Least severe level the function logs.
   * @default 'info'
   */
  readonly logLevel?: TokenBrokerLogLevel;
  /**
   * Function memory, in MiB. More memory also means more CPU for cold starts.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Function timeout. Must leave room for the upstream timeout and its retries.
   * @default Duration.seconds(15)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency: caps parallel upstream logins for the whole
   * deployment, protecting the provider account from bursts.
   * @default 10
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Retention of the function's and the API's log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Steady-state request rate limit of the API stage, per second.
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst limit of the API stage.
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Topic the alarms notify.
   * @default - alarms are created without actions
   */
  readonly alarmTopic?: ITopic;
  /**
   * p99 API latency above which the latency alarm fires.
   * @default Duration.seconds(5)
   */
  readonly latencyAlarmThreshold?: Duration;
}

/** Options of {@link TokenBroker.addAlarm}. */
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

class PropError extends Error {
  constructor(prop: string, message: string) {
    super(`TokenBroker: ${prop} ${message}`);
    this.name = 'TokenBrokerPropsError';
  }
}

/** Checks a whole number against the same range the function enforces at cold start. */
function wholeNumber(prop: string, value: number, min: number, max: number): string {
  if (!Token.isUnresolved(value) && (!Number.isInteger(value) || value < min || value > max)) {
    throw new PropError(prop, `must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return String(value);
}

/**
 * Credentials are sent to the upstream, so its URL is checked at synth, as
 * the function would at cold start: an operator learns it before deploying.
 */
function checkUpstreamUrl(raw: string): string {
  if (Token.isUnresolved(raw)) return raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PropError('upstreamUrl', `is not a valid URL: "${raw.slice(0, 80)}"`);
  }
  if (url.protocol !== 'https:') {
    throw new PropError('upstreamUrl', `must use https:, got "${url.protocol}"`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new PropError('upstreamUrl', 'must not contain user info (credentials go in the secret)');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new PropError('upstreamUrl', 'must not contain a query string or fragment');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function checkOrigins(origins: readonly string[]): string[] {
  return origins.map((origin) => {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (
      url === undefined ||
      origin.includes('*') ||
      url.origin !== origin ||
      !/^https?:$/.test(url.protocol)
    ) {
      throw new PropError(
        'corsAllowedOrigins',
        `entries must be exact origins such as https://app.example.com, got "${origin.slice(0, 80)}"`,
      );
    }
    return origin;
  });
}

function checkProductKeys(keys: readonly string[] | undefined): string {
  if (keys === undefined) return '';
  if (keys.length === 0) throw new PropError('allowedProductKeys', 'is set but lists no key');
  for (const key of keys) {
    if (!/^[A-Za-z0-9]{1,64}$/.test(key)) {
      throw new PropError(
        'allowedProductKeys',
        `holds an invalid product key "${key.slice(0, 70)}"`,
      );
    }
  }
  return keys.join(',');
}

function checkClaim(claim: string): string {
  if (!/^[A-Za-z0-9_:.-]{1,128}$/.test(claim)) {
    throw new PropError('deviceScopeClaim', `must be a claim name, got "${claim.slice(0, 40)}"`);
  }
  return claim;
}

/**
 * The visual-token-broker: a Lambda behind an authenticated HTTP API, with its
 * credentials secret and alarms.
 */
export class TokenBroker extends Construct {
  /** The broker function. Other Lambdas may invoke it directly: see {@link grantInvoke}. */
  readonly function: NodejsFunction;
  /** The HTTP API. */
  readonly api: HttpApi;
  /** The secret holding the developer credentials. */
  readonly secret: ISecret;
  /** URL of the API stage; `POST ${apiUrl}tokens` is the route. */
  readonly apiUrl: string;
  /** The Cognito user pool, when the construct created one. */
  readonly userPool?: UserPool;
  /** The Cognito app client, when the construct created one. */
  readonly userPoolClient?: UserPoolClient;
  /** Every alarm of the broker, including those added later by {@link addAlarm}. */
  readonly alarms: Alarm[] = [];

  private readonly alarmTopic: ITopic | undefined;

  constructor(scope: Construct, id: string, props: TokenBrokerProps) {
    super(scope, id);
    const d = RUNTIME_DEFAULTS;
    const upstreamUrl = checkUpstreamUrl(props.upstreamUrl);
    const corsOrigins = checkOrigins(props.corsAllowedOrigins ?? []);
    const productKeys = checkProductKeys(props.allowedProductKeys);
    if ((props.jwtIssuer === undefined) !== (props.jwtAudience === undefined)) {
      throw new PropError(
        'jwtIssuer',
        'and jwtAudience must be given together (or neither, to create a Cognito user pool)',
      );
    }
    if (props.jwtIssuer !== undefined && !Token.isUnresolved(props.jwtIssuer)) {
      if (!/^https:\/\/[^\s]+$/.test(props.jwtIssuer)) {
        throw new PropError('jwtIssuer', `must be an https URL, got "${props.jwtIssuer}"`);
      }
    }
    if (props.jwtAudience !== undefined && props.jwtAudience.length === 0) {
      throw new PropError('jwtAudience', 'must list at least one audience');
    }
    const upstreamTimeoutMs = (
      props.upstreamTimeout ?? Duration.millis(d.upstreamTimeoutMs)
    ).toMilliseconds();
    const timeout = props.timeout ?? Duration.seconds(15);
    const retries = props.upstreamMaxRetries ?? d.upstreamMaxRetries;
    if (upstreamTimeoutMs * (retries + 1) >= timeout.toMilliseconds()) {
      throw new PropError(
        'timeout',
        `(${timeout.toSeconds()} s) must exceed upstreamTimeout × (upstreamMaxRetries + 1) = ${(upstreamTimeoutMs * (retries + 1)) / 1000} s, or callers get a Lambda timeout instead of a clean upstream error`,
      );
    }
    const logLevel = props.logLevel ?? d.logLevel;
    if (!LOG_LEVELS.includes(logLevel)) {
      throw new PropError('logLevel', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
    }
    const memorySize = Number(wholeNumber('memorySize', props.memorySize ?? 512, 128, 10_240));
    const reserved = Number(
      wholeNumber(
        'reservedConcurrentExecutions',
        props.reservedConcurrentExecutions ?? 10,
        1,
        10_000,
      ),
    );
    const rateLimit = Number(
      wholeNumber('throttlingRateLimit', props.throttlingRateLimit ?? 50, 1, 1_000_000),
    );
    const burstLimit = Number(
      wholeNumber('throttlingBurstLimit', props.throttlingBurstLimit ?? 100, 1, 1_000_000),
    );
    this.alarmTopic = props.alarmTopic;
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.secret =
      props.secret ??
      new Secret(this, 'Credentials', {
        description:
          'visual-token-broker developer credentials. Replace with JSON {"userName":"…","password":"…","appCode":"…"} (or appKey+appSecret instead of appCode); see README "Deploy".',
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ userName: 'REPLACE-WITH-DEVELOPER-ACCOUNT' }),
          generateStringKey: 'password',
          excludePunctuation: true,
        },
      });

    // Caller authentication: a given issuer, or a Cognito pool made here.
    let authorizer: IHttpRouteAuthorizer;
    let defaultClaim: string = d.deviceScopeClaim;
    if (props.jwtIssuer !== undefined && props.jwtAudience !== undefined) {
      authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
        jwtAudience: [...props.jwtAudience],
      });
    } else {
      const pool = this.createUserPool();
      this.userPool = pool.userPool;
      this.userPoolClient = pool.client;
      // The ID token carries custom attributes and has `aud` = client id, so
      // the default authorizer (audience = client id) and this claim match.
      defaultClaim = COGNITO_DEVICE_CLAIM;
      authorizer = new HttpUserPoolAuthorizer('JwtAuthorizer', pool.userPool, {
        userPoolClients: [pool.client],
      });
    }

    const logGroup = new LogGroup(this, 'FunctionLogs', { retention });
    // Own role, without the AWS managed basic-execution policy: the function
    // may write only to its own log group.
    const role = new Role(this, 'FunctionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'visual-token-broker function: own logs, own secret, X-Ray',
    });
    logGroup.grantWrite(role);

    const env = FUNCTION_ENV;
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, HANDLER_ENTRY),
      handler: HANDLER_EXPORT,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout,
      reservedConcurrentExecutions: reserved,
      role,
      logGroup,
      tracing: Tracing.ACTIVE,
      description: 'visual-token-broker: vends scoped Tuya visual device tokens',
      bundling: nodejsBundlingOptions(),
      environment: {
        [env.secretId]: this.secret.secretArn,
        [env.upstreamUrl]: upstreamUrl,
        [env.maxDevicesPerRequest]: wholeNumber(
          'maxDevicesPerRequest',
          props.maxDevicesPerRequest ?? d.maxDevicesPerRequest,
          1,
          500,
        ),
        [env.minTokenValiditySeconds]: wholeNumber(
          'minTokenValidity',
          props.minTokenValidity?.toSeconds() ?? d.minTokenValiditySeconds,
          0,
          86_400,
        ),
        [env.upstreamBatchSize]: wholeNumber(
          'upstreamBatchSize',
          props.upstreamBatchSize ?? d.upstreamBatchSize,
          1,
          100,
        ),
        [env.upstreamTimeoutMs]: wholeNumber('upstreamTimeout', upstreamTimeoutMs, 100, 60_000),
        [env.secretCacheSeconds]: wholeNumber(
          'secretCacheDuration',
          props.secretCacheDuration?.toSeconds() ?? d.secretCacheSeconds,
          0,
          86_400,
        ),
        [env.secretMaxStaleSeconds]: wholeNumber(
          'secretMaxStale',
          props.secretMaxStale?.toSeconds() ?? d.secretMaxStaleSeconds,
          0,
          86_400,
        ),
        [env.tokenCacheMaxEntries]: wholeNumber(
          'tokenCacheMaxEntries',
          props.tokenCacheMaxEntries ?? d.tokenCacheMaxEntries,
          1,
          10_000_000,
        ),
        [env.upstreamMaxRetries]: wholeNumber('upstreamMaxRetries', retries, 0, 10),
        [env.upstreamMaxConcurrentLogins]: wholeNumber(
          'upstreamMaxConcurrentLogins',
          props.upstreamMaxConcurrentLogins ?? d.upstreamMaxConcurrentLogins,
          1,
          100,
        ),
        [env.circuitBreakerThreshold]: wholeNumber(
          'circuitBreakerThreshold',
          props.circuitBreakerThreshold ?? d.circuitBreakerThreshold,
          1,
          1000,
        ),
        [env.circuitBreakerCooldownSeconds]: wholeNumber(
          'circuitBreakerCooldown',
          props.circuitBreakerCooldown?.toSeconds() ?? d.circuitBreakerCooldownSeconds,
          1,
          3600,
        ),
        [env.deviceScopeClaim]: checkClaim(props.deviceScopeClaim ?? defaultClaim),
        // Empty means "not set" to the function: no product limit, no CORS.
        [env.allowedProductKeys]: productKeys,
        [env.corsAllowedOrigins]: corsOrigins.join(','),
        [env.logLevel]: logLevel,
      },
    });
    this.secret.grantRead(this.function);

    this.api = new HttpApi(this, 'Api', {
      description: 'visual-token-broker: POST /tokens',
      createDefaultStage: false,
      corsPreflight:
        corsOrigins.length === 0
          ? undefined
          : {
              allowOrigins: corsOrigins,
              allowMethods: [CorsHttpMethod.POST],
              allowHeaders: ['Authorization', 'Content-Type'],
              // As the local server's preflight (functions/token-broker/cors.ts).
              maxAge: Duration.seconds(600),
            },
    });
    this.api.addRoutes({
      path: '/tokens',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Integration', this.function),
      authorizer,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention });
    const stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit,
        burstLimit,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // No headers, no body: nothing secret can land in access logs.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            route: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.claims.sub',
            responseLength: '$context.responseLength',
          }),
        ),
      },
    });
    this.apiUrl = stage.url;

    this.addAlarm('ErrorsAlarm', {
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
      description:
        'Broker function errors (failed direct invocations, crashes). See its log group.',
    });
    this.addAlarm('ThrottlesAlarm', {
      metric: this.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      description:
        'Broker function throttled: reserved concurrency reached. Raise it if the upstream allows.',
    });
    this.addAlarm('Api5xxAlarm', {
      metric: this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
      description: 'API answered 5xx: upstream or credentials faults. See the function log.',
    });
    this.addAlarm('LatencyP99Alarm', {
      metric: this.api.metricLatency({ period: Duration.minutes(5), statistic: 'p99' }),
      threshold: (props.latencyAlarmThreshold ?? Duration.seconds(5)).toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      description: 'p99 API latency high for 15 minutes: the upstream is slow.',
    });
    this.addAlarm('UpstreamFailuresAlarm', {
      metric: this.metric('upstreamFailures', { period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
      description:
        'Upstream logins failing (by ErrorCode in the VisualTokenBroker namespace). See the function log.',
    });
    this.addAlarm('CircuitOpenAlarm', {
      metric: this.metric('circuitOpen', { period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      description:
        'The circuit breaker is open in at least one container: callers get 503 UPSTREAM_UNAVAILABLE.',
    });
    this.addAlarm('SecretFetchFailuresAlarm', {
      metric: this.metric('secretFetchFailures', { period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      description:
        'Reading the credentials secret failed (a stale secret may be served, for up to secretMaxStale). See the function log for the secret id.',
    });

    this.acknowledgeFindings(role, props.secret === undefined);
  }

  /** One of the function's own EMF metrics, for this function. */
  metric(name: BrokerMetricName, options: MetricOptions = {}): Metric {
    return new Metric({
      namespace: BROKER_METRICS.namespace,
      metricName: BROKER_METRICS[name],
      dimensionsMap: { [BROKER_METRICS.dimension]: this.function.functionName },
      ...options,
    });
  }

  /**
   * Adds an alarm that notifies the alarm topic, if any. The built-in alarms
   * use it too; custom (e.g. EMF) metrics can be watched the same way.
   */
  addAlarm(id: string, options: TokenBrokerAlarmOptions): Alarm {
    const alarm = new Alarm(this, id, {
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.datapointsToAlarm,
      comparisonOperator:
        options.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    if (this.alarmTopic !== undefined) {
      const action = new SnsAction(this.alarmTopic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms.push(alarm);
    return alarm;
  }

  /** Lets `grantee` (e.g. another Lambda) invoke the function directly. */
  grantInvoke(grantee: IGrantable): Grant {
    return this.function.grantInvoke(grantee);
  }

  private createUserPool(): { userPool: UserPool; client: UserPoolClient } {
    const userPool = new UserPool(this, 'UserPool', {
      // Administrators create users and set their device grants.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      customAttributes: {
        devices: new StringAttribute({ mutable: true, maxLen: 2048 }),
      },
    });
    const client = userPool.addClient('AppClient', {
      // A browser app: a public client signing in with SRP. Admin password
      // sign-in needs AWS credentials (cognito-idp:AdminInitiateAuth), so it
      // serves operators' scripts and tests, never a browser.
      generateSecret: false,
      authFlows: { userSrp: true, adminUserPassword: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true })
        .withCustomAttributes('devices'),
      // Users must never grant themselves devices: the custom attribute is
      // writable by administrators only.
      writeAttributes: new ClientAttributes().withStandardAttributes({ email: true }),
    });
    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'The Plus feature plan (threat protection) is billed per monthly active user; this pool is the out-of-the-box default and is already locked down: MFA (TOTP) required, no self sign-up, admin-created users only. Production identity belongs to an existing provider via jwtIssuer/jwtAudience.',
    });
    return { userPool, client };
  }

  /** Each acknowledgement names the rule, the resource and the reason. */
  private acknowledgeFindings(role: Role, createdSecret: boolean): void {
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy !== undefined) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. Every other statement (logs, secret) is scoped to one resource.',
      });
    }
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously only (API Gateway and RequestResponse direct invokes): the caller gets the error, and a token vended to a DLQ would be useless.',
    });
    if (createdSecret) {
      Validations.of(this.secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The secret holds the provider developer account password, which only the provider can change; no rotation Lambda can rotate it. README "Deploy" documents manual rotation.',
      });
    }
  }
}

/** The issuer (`iss`) of a Cognito user pool's tokens. */
export const cognitoIssuerOf = (pool: UserPool): string =>
  `https://cognito-idp.${Stack.of(pool).region}.amazonaws.com/${pool.userPoolId}`;

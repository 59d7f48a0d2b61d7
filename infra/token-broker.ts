/**
 * `TokenBroker`: the reusable construct. One function, an HTTP API with a JWT
 * authorizer in front of it, the credentials secret, and alarms; secure with
 * no tuning, so a team can drop it into its own CDK app.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi, HttpStage, IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Alarm, Dashboard, Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable, Policy, Role } from 'aws-cdk-lib/aws-iam';
import type { Alias } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SETTINGS } from '../functions/token-broker/settings.ts';
import {
  accountSecretsOf,
  acknowledgeNoRotation,
  createCredentialsSecret,
  grantAccountsRead,
  routedSecretsOf,
} from './broker-accounts.ts';
import {
  type BrokerMetricName,
  brokerMetric,
  createAlarm,
  type TokenBrokerAlarmOptions,
} from './broker-alarms.ts';
import { type CallerIdentity, createAuthorizer, createBrokerApi } from './broker-api.ts';
import { type AuditQueries, createAuditQueries } from './broker-audit-queries.ts';
import { brokerEnvironment } from './broker-environment.ts';
import { acknowledgeFunctionFindings } from './broker-findings.ts';
import { createBrokerFunction } from './broker-function.ts';
import { type GrantsTableResources, grantsTableFor } from './broker-grants-table.ts';
import { TokenStoreResources } from './broker-token-store.ts';
import { watchBroker } from './broker-watch.ts';
import {
  checkIdentityProps,
  checkTimeoutCoversRetries,
  checkTokenStoreProps,
} from './token-broker-checks.ts';
import type { TokenBrokerProps } from './token-broker-props.ts';
import { deploymentSettings, TokenBrokerPropsError } from './token-broker-settings.ts';
import { type BrokerUserPool, createUserPool } from './user-pool.ts';

export type { TokenBrokerAccounts } from './broker-accounts.ts';
export {
  BROKER_METRICS,
  type BrokerMetricName,
  type TokenBrokerAlarmOptions,
} from './broker-alarms.ts';
export { COGNITO_DEVICE_CLAIM, DEPLOYMENT_SETTINGS } from './token-broker-defaults.ts';
export type { TokenBrokerLogLevel, TokenBrokerProps } from './token-broker-props.ts';
export { TokenBrokerPropsError } from './token-broker-settings.ts';
export { cognitoIssuerOf } from './user-pool.ts';

/**
 * The visual-token-broker: a Lambda behind an authenticated HTTP API, with its
 * credentials secret and alarms. Every resource it creates is a property.
 */
export class TokenBroker extends Construct {
  /**
   * The broker function, unqualified: its configuration, its metrics and
   * `$LATEST`. Callers invoke {@link alias} instead.
   */
  readonly function: NodejsFunction;
  /**
   * The `live` alias on the version this deploy published. API Gateway
   * invokes it, and so should other Lambdas ({@link grantInvoke}); moving it
   * to an earlier version rolls a deploy back.
   */
  readonly alias: Alias;
  /** The function's role: its own logs, its own secret, X-Ray; no managed policy. */
  readonly role: Role;
  /** The function's log group. */
  readonly functionLogGroup: LogGroup;
  /** The HTTP API. */
  readonly api: HttpApi;
  /** The API's `$default` stage. */
  readonly stage: HttpStage;
  /** The stage's access log group. */
  readonly accessLogGroup: LogGroup;
  /** The JWT authorizer of the route. */
  readonly authorizer: IHttpRouteAuthorizer;
  /** The secret holding the developer credentials (given or created): the account `default`. */
  readonly secret: ISecret;
  /**
   * Every account's secret by name, `default` ({@link secret}) first, then
   * those of `accounts`, given or created (those created are filled in after deploy).
   */
  readonly accountSecrets: ReadonlyMap<string, ISecret>;
  /** The accounts a route names, by name: the only secrets the function may read. */
  readonly routedAccountSecrets: ReadonlyMap<string, ISecret>;
  /** The policy allowing `BatchGetSecretValue` for several accounts without the token store's. */
  readonly accountsPolicy?: Policy;
  /** Each routed account's own alarms (in {@link alarms} too); none with one account. */
  readonly accountAlarms: ReadonlyMap<string, readonly Alarm[]>;
  /** URL of the API stage; `POST ${apiUrl}tokens` is the route. */
  readonly apiUrl: string;
  /** The Cognito user pool, when the construct created one. */
  readonly userPool?: UserPool;
  /** The Cognito app client, when the construct created one. */
  readonly userPoolClient?: UserPoolClient;
  /** The policy granting the token store (table items, key secret, `BatchGetSecretValue`). */
  readonly tokenStorePolicy?: Policy;
  /** The token store's resources, as one construct. */
  readonly tokenStoreResources?: TokenStoreResources;
  /** The grants directory's resources, as one construct; none with `grantsTable` off. */
  readonly grantsTableResources?: GrantsTableResources;
  /**
   * The saved Logs Insights queries of the audit trail, on the function's log
   * group: who was given a device, what a principal was given, refusals by
   * principal (docs/operations.md "Audit trail").
   */
  readonly auditQueries: AuditQueries;
  /** The operator's dashboard: tokens, hit ratios, logins against the budget, store, circuit, latency. */
  readonly dashboard: Dashboard;
  /** The alarm on token store errors (in {@link alarms} too); none with `tokenStore: false`. */
  readonly storeErrorsAlarm?: Alarm;
  /**
   * The alarm on the fleet's hourly logins reaching `loginBudgetPerHour` (in
   * {@link alarms} too); none when the budget is 0, or with several routed
   * accounts, where each has its own in {@link accountAlarms}.
   */
  readonly loginBudgetAlarm?: Alarm;
  /**
   * The alarm on requests whose grants directory lookup failed (in {@link
   * alarms} too); none with `grantsTable` off.
   */
  readonly grantsUnavailableAlarm?: Alarm;
  /** Every alarm of the broker, including those added later by {@link addAlarm}. */
  readonly alarms: Alarm[] = [];

  private readonly alarmTopic: ITopic | undefined;

  /** The fleet token store's table (created, or given as `tokenTable`); none with `tokenStore: false`. */
  get tokenTable(): ITable | undefined {
    return this.tokenStoreResources?.table;
  }

  /** The secret holding the token store's encryption key; none with `tokenStore: false`. */
  get tokenStoreKeySecret(): Secret | undefined {
    return this.tokenStoreResources?.keySecret;
  }

  /** The grants directory's table (created with `grantsTable: true`, or yours); none when off. */
  get grantsTable(): ITable | undefined {
    return this.grantsTableResources?.table;
  }

  constructor(scope: Construct, id: string, props: TokenBrokerProps) {
    super(scope, id);
    const settings = deploymentSettings(props);
    const deploy = settings as Record<string, number>;
    const storeOn = settings.tokenStore !== false;
    checkIdentityProps(props);
    checkTokenStoreProps(props, storeOn);
    const identity = this.callerIdentity(props);
    this.alarmTopic = props.alarmTopic;
    this.secret = props.secret ?? createCredentialsSecret(this, 'Credentials');
    this.accountSecrets = accountSecretsOf(this, this.secret, props.accounts);
    [this.tokenStoreResources, this.grantsTableResources] = this.createTables(props, storeOn);
    const environment = brokerEnvironment(props, identity, {
      secret: this.secret,
      accountSecrets: this.accountSecrets,
      tokenStore: this.tokenStoreResources,
      grantsTable: this.grantsTable,
    });
    const timeout = Duration.seconds(deploy.timeoutSeconds as number);
    checkTimeoutCoversRetries(environment, timeout);
    this.routedAccountSecrets = routedSecretsOf(this, this.accountSecrets, environment);

    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const fn = createBrokerFunction(this, {
      environment,
      memorySize: deploy.memorySize as number,
      timeout,
      reservedConcurrentExecutions: deploy.reservedConcurrentExecutions as number,
      retention,
    });
    this.function = fn.function;
    this.alias = fn.alias;
    this.role = fn.role;
    this.functionLogGroup = fn.logGroup;
    this.accountsPolicy = grantAccountsRead(this, this.routedAccountSecrets, {
      role: this.role,
      fn: this.function,
      storeOn,
    });
    this.tokenStorePolicy = this.tokenStoreResources?.grantTo(this.role, this.function);
    this.grantsTableResources?.grantRead(this.role);
    this.auditQueries = createAuditQueries(this, this.functionLogGroup);

    this.authorizer = createAuthorizer(identity);
    const api = createBrokerApi(this, {
      function: this.alias,
      authorizer: this.authorizer,
      corsOrigins: props.corsAllowedOrigins ?? [],
      rateLimit: deploy.throttlingRateLimit as number,
      burstLimit: deploy.throttlingBurstLimit as number,
      retention,
    });
    this.api = api.api;
    this.stage = api.stage;
    this.accessLogGroup = api.accessLogGroup;
    this.apiUrl = api.stage.url;

    const watched = watchBroker(this, (...alarm) => this.addAlarm(...alarm), {
      function: this.function,
      api: this.api,
      tokenStore: storeOn,
      latencyThresholdMs: deploy.latencyAlarmThresholdMs as number,
      loginBudgetPerHour: Number(environment[SETTINGS.loginBudgetPerHour.env]) || 0,
      accounts: [...this.routedAccountSecrets.keys()],
      grantsTable: this.grantsTableResources !== undefined,
    });
    this.storeErrorsAlarm = watched.storeErrors;
    this.loginBudgetAlarm = watched.loginBudget;
    this.grantsUnavailableAlarm = watched.grantsUnavailable;
    this.accountAlarms = watched.accounts;
    this.dashboard = watched.dashboard;
    this.acknowledgeFindings(props.secret === undefined);
  }

  /** One of the function's own EMF metrics, for this function. */
  metric(name: BrokerMetricName, options: MetricOptions = {}): Metric {
    return brokerMetric(this.function, name, options);
  }

  /**
   * Adds an alarm that notifies the alarm topic, if any. The built-in alarms
   * use it too; custom (e.g. EMF) metrics can be watched the same way.
   */
  addAlarm(id: string, options: TokenBrokerAlarmOptions): Alarm {
    const alarm = createAlarm(this, id, options, this.alarmTopic);
    this.alarms.push(alarm);
    return alarm;
  }

  /** Lets `grantee` (e.g. another Lambda) invoke the `live` alias directly, and nothing else. */
  grantInvoke(grantee: IGrantable): Grant {
    return this.alias.grantInvoke(grantee);
  }

  /**
   * Lets `grantee` (the app's backend role, which runs `GrantsClient`) add,
   * remove and list grants: `dynamodb:UpdateItem` and `dynamodb:GetItem` on
   * the grants table, nothing else.
   * @throws TokenBrokerPropsError when the broker has no grants table.
   */
  grantGrantsWrite(grantee: IGrantable): Grant {
    if (this.grantsTableResources === undefined) {
      throw new TokenBrokerPropsError(
        'grantsTable',
        'is off, so there is no grants table to grant write access to: set grantsTable to true or to your table',
      );
    }
    return this.grantsTableResources.grantWrite(grantee);
  }

  /** The token store's table and key secret, and the grants table, each when it is on. */
  private createTables(
    props: TokenBrokerProps,
    storeOn: boolean,
  ): [TokenStoreResources | undefined, GrantsTableResources | undefined] {
    const store = storeOn
      ? new TokenStoreResources(this, 'TokenStore', {
          table: props.tokenTable,
          encryptionKey: props.tokenTableEncryptionKey,
        })
      : undefined;
    return [store, grantsTableFor(this, props.grantsTable)];
  }

  /** Caller authentication: a given issuer, or a Cognito pool made here. */
  private callerIdentity(props: TokenBrokerProps): CallerIdentity {
    if (props.jwtIssuer !== undefined && props.jwtAudience !== undefined) {
      return { issuer: props.jwtIssuer, audience: props.jwtAudience };
    }
    const pool: BrokerUserPool = createUserPool(this);
    (this as { userPool?: UserPool }).userPool = pool.userPool;
    (this as { userPoolClient?: UserPoolClient }).userPoolClient = pool.client;
    return { pool };
  }

  /** Each acknowledgement names the rule, the resource and the reason. */
  private acknowledgeFindings(createdSecret: boolean): void {
    acknowledgeFunctionFindings(this.role, this.function);
    if (createdSecret) acknowledgeNoRotation(this.secret);
  }
}

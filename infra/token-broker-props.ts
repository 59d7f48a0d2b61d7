/**
 * Props of the `TokenBroker` construct. Every row of the settings tables is a
 * prop by the naming rule (see docs/configuration.md) through
 * {@link AllSettingProps}; the ones below are declared again for their docs
 * and their CDK types. Allowed ranges are in docs/configuration.md, generated
 * from the table; a test checks every `@default` here against its row.
 */
import type { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { LogLevel } from '../functions/token-broker/settings.ts';
import type { TokenBrokerAccounts } from './broker-accounts.ts';
import type { AllSettingProps } from './token-broker-settings.ts';

/** A log level the function accepts. */
export type TokenBrokerLogLevel = LogLevel;

/** Props of `TokenBroker`. */
export interface TokenBrokerProps extends AllSettingProps {
  /** Base URL of the provider's gateway: https, no user info, no query string. */
  readonly upstreamUrl: string;
  /**
   * Secret holding the developer credentials (JSON: userName, password, and
   * appCode or appKey/appSecret).
   * @default - a new secret with a generated placeholder, to be filled in after deploy
   */
  readonly secret?: ISecret;
  /**
   * More upstream developer accounts beside `default` (the `secret`'s), by
   * name (a-z, digits and hyphens, a letter first, up to 32; not `default`):
   * each an existing secret of the same JSON, optionally with `upstreamUrl`,
   * or `true` to create one with the placeholder `secret` has. Only the
   * accounts `accountRoutes` names are read, and granted (docs/deploy.md
   * "Several upstream accounts").
   * @default - none: `default` is the one account
   */
  readonly accounts?: TokenBrokerAccounts;
  /**
   * Which account serves each product: product key (or `*` for the rest) →
   * account name, `default` or one of `accounts`. A product with no route
   * fails per device with `NO_ACCOUNT_ROUTE`.
   * @default - every product to `default`
   */
  readonly accountRoutes?: Readonly<Record<string, string>>;
  /**
   * Issuer (`iss`) of the callers' JWTs, e.g. your Auth0, Okta or Entra ID
   * tenant, or an existing Cognito pool. Give it together with `jwtAudience`.
   * The route in the AWS China regions, which have no Cognito.
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
   * Most devices one request may name.
   * @default 50
   */
  readonly maxDevicesPerRequest?: number;
  /**
   * A cached token is served only while it has at least this long left.
   * @default Duration.minutes(5)
   */
  readonly minTokenValidity?: Duration;
  /**
   * Most devices in one upstream login call.
   * @default 20
   */
  readonly upstreamBatchSize?: number;
  /**
   * Time limit of one upstream attempt.
   * @default Duration.seconds(3)
   */
  readonly upstreamTimeout?: Duration;
  /**
   * Most retries of one upstream login after a transient failure.
   * @default 2
   */
  readonly upstreamMaxRetries?: number;
  /**
   * Most upstream logins in flight at once, per function instance.
   * @default 4
   */
  readonly upstreamMaxConcurrentLogins?: number;
  /**
   * How long a miss waits for other misses to share its login. A
   * Lambda container serves one request at a time, so 0 is right there.
   * @default Duration.millis(0)
   */
  readonly loginGather?: Duration;
  /**
   * Consecutive upstream failures that open the circuit breaker.
   * @default 5
   */
  readonly circuitBreakerThreshold?: number;
  /**
   * How long the open circuit fails fast before one probe.
   * @default Duration.seconds(30)
   */
  readonly circuitBreakerCooldown?: Duration;
  /**
   * How long the secret is cached in the function.
   * @default Duration.minutes(5)
   */
  readonly secretCache?: Duration;
  /**
   * How long past `secretCache` the function keeps serving the last good
   * secret while Secrets Manager is unreachable; zero disables it.
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
   * Most bytes of tokens kept in memory per function instance.
   * @default 33554432
   */
  readonly tokenCacheMaxBytes?: number;
  /**
   * Fleet-wide, at most one refresh login per device in this interval.
   * @default Duration.seconds(30)
   */
  readonly tokenRefreshMinInterval?: Duration;
  /**
   * Time limit of one token store call.
   * @default Duration.millis(300)
   */
  readonly tokenStoreTimeout?: Duration;
  /**
   * How long a login lease holds before another container may take it over.
   * @default Duration.seconds(10)
   */
  readonly tokenLease?: Duration;
  /**
   * An open circuit in one container opens it for the whole fleet, through the store.
   * @default false
   */
  readonly sharedCircuit?: boolean;
  /**
   * Upstream logins per account per hour, fleet-wide, that the budget alarm
   * watches; 0 = not counted.
   * @default 0
   */
  readonly loginBudgetPerHour?: number;
  /**
   * Past the budget, misses answer 429 `UPSTREAM_BUDGET_EXCEEDED` while
   * cache hits are still served. Needs `loginBudgetPerHour` above 0.
   * @default false
   */
  readonly loginBudgetEnforce?: boolean;
  /**
   * Most of an enforced budget one caller (the JWT `sub`) may spend in an
   * hour, percent, so that one caller cannot spend it for everyone.
   * @default 25
   */
  readonly loginBudgetPrincipalPercent?: number;
  /**
   * An enforced budget the store cannot check: `closed` refuses misses with
   * 503, `open` logs in anyway.
   * @default 'closed'
   */
  readonly loginBudgetOnStoreFault?: 'closed' | 'open';
  /**
   * JWT claim carrying the caller's groups; each group is a grants-directory
   * principal, `group:<name>`.
   * @default 'cognito:groups'
   */
  readonly groupsClaim?: string;
  /**
   * How long the function caches a principal's directory grants. A
   * revocation then takes up to this long; 0 reads the directory on every
   * request.
   * @default Duration.seconds(0)
   */
  readonly grantsCache?: Duration;
  /**
   * The fleet-wide token store (L2): one upstream login per device per token
   * life across every container. `false` creates no table, no key secret and
   * no grants, and sets no `TOKEN_TABLE`: each container has only its own cache.
   * @default true
   */
  readonly tokenStore?: boolean;
  /**
   * Your own table for the token store: partition key `pk` (String), no sort
   * key, TTL on `ttl`. The function gets item access to it only.
   * @default - a new table: on demand, TTL on `ttl`, removed with the stack (it is a cache)
   */
  readonly tokenTable?: ITable;
  /**
   * Customer-managed KMS key of the token table: the created table is
   * encrypted with it; with `tokenTable`, the key your table uses. The function
   * may use it only through DynamoDB.
   * @default - a created table is encrypted with the AWS owned key; your table: its `encryptionKey` (`Table.fromTableAttributes`), granted the same way, else no KMS grant
   */
  readonly tokenTableEncryptionKey?: IKey;
  /**
   * The grants directory (docs/deploy.md "Grants directory"): device grants
   * per principal (`user:<sub>`, `group:<name>`) in DynamoDB, read on every
   * request, so a revoked grant stops working on the next one. `true` creates
   * a table: partition key `principal` (String), on demand, retained when the
   * stack goes, point-in-time recovery, deletion protection. Or give your own
   * table with that key. The function may only read it (GetItem,
   * BatchGetItem); `grantGrantsWrite` lets the app's backend write it. When
   * your table has a customer-managed key (its `encryptionKey`, as
   * `Table.fromTableAttributes` sets it), the function may `kms:Decrypt` with
   * that key, and the backend encrypt too, through DynamoDB only.
   * @default false
   */
  readonly grantsTable?: boolean | ITable;
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
   * Reserved concurrency: caps parallel upstream logins for the
   * whole deployment, protecting the provider account from bursts.
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

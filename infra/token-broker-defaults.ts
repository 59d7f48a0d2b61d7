/**
 * Settings of the deployment that the function never reads: the construct's
 * own props, as rows of the same shape as the function's settings table, so
 * one rule names them, one parser checks them, and the stack's context keys
 * and the docs' props table are built from them too.
 *
 * Pure data, no aws-cdk-lib: the docs script imports it.
 */
import { SETTINGS, type SettingsTable } from '../functions/token-broker/settings.ts';

/** The device-grants claim of the created Cognito pool's ID tokens. */
export const COGNITO_DEVICE_CLAIM = 'custom:devices';

/** The construct's deployment-only settings, by field (the naming rule applies). */
export const DEPLOYMENT_SETTINGS = {
  secret: {
    kind: 'cdk',
    propType: 'ISecret',
    defaultText: 'a new secret with a generated placeholder, to be filled in after deploy',
    description:
      'Secret holding the developer credentials (JSON: userName, password, and appCode or appKey/appSecret).',
  },
  accounts: {
    kind: 'map',
    // Context gives `name=true` (create) or `name=<secret name or ARN>`; a construct its ISecret.
    propType: 'Record<string, ISecret | true>',
    // The function's own rule for UPSTREAM_ACCOUNTS, which the construct fills in from this.
    map: SETTINGS.upstreamAccounts.map,
    defaultText: 'none: `secret` is the one account, `default`',
    description:
      'More developer accounts beside `default` (`secret`’s), name → secret; `true` (context: `name=true`) creates one with a placeholder, like `secret`. Only routed accounts are read (accountRoutes).',
  },
  jwtIssuer: {
    kind: 'string',
    pattern: { regex: /^https:\/\/[^\s]+$/, expected: 'an https URL' },
    defaultText: 'a new Cognito user pool and app client are created',
    description:
      'Issuer (`iss`) of the callers’ JWTs (your Auth0, Okta or Entra ID tenant, or an existing Cognito pool). Give it with jwtAudience.',
  },
  jwtAudience: {
    kind: 'list',
    nonEmpty: 'audience',
    defaultText: 'the created Cognito app client’s id',
    description: 'Accepted audiences (`aud`, or `client_id` for Cognito access tokens).',
  },
  memorySize: {
    kind: 'integer',
    default: 512,
    min: 128,
    max: 10_240,
    description: 'Function memory, in MiB. More memory also means more CPU for cold starts.',
  },
  timeoutSeconds: {
    kind: 'duration',
    unit: 'seconds',
    default: 15,
    min: 1,
    max: 900,
    description:
      'Function timeout. Must exceed upstreamTimeout × (upstreamMaxRetries + 1), or callers get a Lambda timeout instead of a clean upstream error.',
  },
  reservedConcurrentExecutions: {
    kind: 'integer',
    default: 10,
    min: 1,
    max: 10_000,
    description:
      'Reserved concurrency: caps parallel upstream logins for the whole deployment, protecting the provider account from bursts.',
  },
  logRetention: {
    kind: 'cdk',
    propType: 'RetentionDays',
    defaultText: '`RetentionDays.ONE_MONTH`',
    description: 'Retention of the function’s and the API’s log groups.',
  },
  throttlingRateLimit: {
    kind: 'integer',
    default: 50,
    min: 1,
    max: 1_000_000,
    description: 'Steady-state request rate limit of the API stage, per second.',
  },
  throttlingBurstLimit: {
    kind: 'integer',
    default: 100,
    min: 1,
    max: 1_000_000,
    description: 'Burst limit of the API stage.',
  },
  alarmTopicArn: {
    kind: 'arn',
    propType: 'ITopic',
    defaultText: 'alarms are created without actions',
    description: 'SNS topic the alarms notify, on alarm and on recovery.',
  },
  tokenStore: {
    kind: 'boolean',
    default: true,
    description:
      'The fleet-wide token store (L2): a DynamoDB table (unless tokenTable is given) and a key secret, always created. false: no table, no key secret, no grants; each container has only its own cache.',
  },
  tokenTable: {
    kind: 'cdk',
    propType: 'ITable',
    defaultText:
      'a new table: partition key `pk` (S), on demand, TTL on `ttl`, removed with the stack',
    description:
      'Your own table for the token store, with the same key schema and TTL; the function gets item access to it only.',
  },
  tokenTableEncryptionKey: {
    kind: 'cdk',
    propType: 'IKey',
    defaultText:
      'a created table: the AWS owned key; yours: its `encryptionKey` (`Table.fromTableAttributes`), if any',
    description:
      'Customer-managed KMS key of the token table (of the created one, or of yours); the function may use it only through DynamoDB.',
  },
  grantsTable: {
    kind: 'boolean',
    default: false,
    // `true` from context; a construct may give its own table instead.
    propType: 'boolean | ITable',
    description:
      'The grants directory: true creates a table of device grants (key `principal`, retained, PITR, deletion protection), or give your own ITable instead of true. The function only reads it (and decrypts with its customer-managed key, if it has one).',
  },
  latencyAlarmThresholdMs: {
    kind: 'duration',
    unit: 'ms',
    default: 5000,
    min: 1,
    max: 60_000,
    description: 'p99 API latency above which the latency alarm fires (three 5-minute periods).',
  },
} as const satisfies SettingsTable;

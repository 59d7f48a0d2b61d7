/**
 * The settings table: every setting of the broker is one row, and everything
 * else (`loadConfig`, the construct's environment and its synth-time checks,
 * the stack's context keys, docs/configuration.md) is built from it.
 *
 * Pure: no SDK, no aws-cdk-lib, no `process.env`, so the Lambda, infra,
 * scripts and tests can all import it.
 *
 * The naming rule (docs/configuration.md states it for users): a row's key is
 * the field and the CDK context key; the environment variable is the field in
 * SCREAMING_SNAKE_CASE; the construct prop is the field, except that a value
 * CDK has a type for (a time is a `Duration`, a topic an `ITopic`) is named
 * without its unit suffix (`Seconds`, `Ms`, `Arn`) and takes that type.
 * The rules (row shape, naming, parsers) are in setting-rules.ts, re-exported here.
 */
import type { SettingsTable } from './setting-rules.ts';

export {
  type ConfigOf,
  contextKeyOf,
  defaultsOf,
  type EnvNames,
  envNameOf,
  envNames,
  InvalidSettingError,
  isOn,
  type ListItemRule,
  type ParseOptions,
  parseSetting,
  propNameOf,
  SETTING_KINDS,
  type SettingKind,
  type SettingRow,
  type SettingsTable,
  type SettingValue,
  splitList,
  UNIT_SUFFIXES,
  unmetRequirements,
  type ValueOf,
} from './setting-rules.ts';

/** Log levels, least to most severe. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const CLAIM_NAME = { regex: /^[A-Za-z0-9_:.-]{1,128}$/, expected: 'a claim name' } as const;
const SECRET_ID = { regex: /^[\w/+=.@:-]{1,2048}$/, expected: 'a secret name or ARN' } as const;

/** The function's settings. Keys are fields of {@link BrokerConfig}. */
export const SETTINGS = {
  secretId: {
    kind: 'string',
    env: 'SECRET_ID',
    required: true,
    setByConstruct: true,
    description: 'Secrets Manager id or ARN of the developer credentials.',
  },
  upstreamUrl: {
    kind: 'url',
    env: 'UPSTREAM_URL',
    required: true,
    description: 'Base URL of the provider’s gateway: https, no user info, no query string.',
  },
  maxDevicesPerRequest: {
    kind: 'integer',
    env: 'MAX_DEVICES_PER_REQUEST',
    default: 50,
    min: 1,
    max: 500,
    description: 'Most devices one request may name.',
  },
  minTokenValiditySeconds: {
    kind: 'duration',
    unit: 'seconds',
    env: 'MIN_TOKEN_VALIDITY_SECONDS',
    default: 300,
    min: 0,
    max: 86_400,
    description: 'A cached token is served only while it has at least this long left.',
  },
  upstreamBatchSize: {
    kind: 'integer',
    env: 'UPSTREAM_BATCH_SIZE',
    default: 20,
    min: 1,
    max: 100,
    description: 'Most devices sent in one upstream login call.',
  },
  upstreamTimeoutMs: {
    kind: 'duration',
    unit: 'ms',
    env: 'UPSTREAM_TIMEOUT_MS',
    default: 3000,
    min: 100,
    max: 60_000,
    description: 'Time limit of one upstream attempt.',
  },
  secretCacheSeconds: {
    kind: 'duration',
    unit: 'seconds',
    env: 'SECRET_CACHE_SECONDS',
    default: 300,
    min: 0,
    max: 86_400,
    description: 'How long the secret is cached in the function.',
  },
  secretMaxStaleSeconds: {
    kind: 'duration',
    unit: 'seconds',
    env: 'SECRET_MAX_STALE_SECONDS',
    default: 3600,
    min: 0,
    max: 86_400,
    description:
      'How long past the secret cache the last good secret is served while Secrets Manager is unreachable; 0 disables it.',
  },
  tokenCacheMaxEntries: {
    kind: 'integer',
    env: 'TOKEN_CACHE_MAX_ENTRIES',
    default: 10_000,
    min: 1,
    max: 10_000_000,
    description: 'Most tokens kept in memory; the least recently used are evicted first.',
  },
  tokenCacheMaxBytes: {
    kind: 'integer',
    env: 'TOKEN_CACHE_MAX_BYTES',
    default: 33_554_432,
    min: 65_536,
    max: 1_073_741_824,
    description: 'Most bytes of tokens kept in memory.',
  },
  upstreamMaxRetries: {
    kind: 'integer',
    env: 'UPSTREAM_MAX_RETRIES',
    default: 2,
    min: 0,
    max: 10,
    description: 'Most retries of one upstream login after a transient failure.',
  },
  upstreamMaxConcurrentLogins: {
    kind: 'integer',
    env: 'UPSTREAM_MAX_CONCURRENT_LOGINS',
    default: 4,
    min: 1,
    max: 100,
    description: 'Most upstream logins in flight at once for the account, per container.',
  },
  loginGatherMs: {
    kind: 'duration',
    unit: 'ms',
    env: 'LOGIN_GATHER_MS',
    default: 0,
    min: 0,
    max: 1000,
    description: 'How long a miss waits for other misses to share its login; 0 in Lambda.',
  },
  circuitBreakerThreshold: {
    kind: 'integer',
    env: 'CIRCUIT_BREAKER_THRESHOLD',
    default: 5,
    min: 1,
    max: 1000,
    description: 'Consecutive upstream failures that open the circuit breaker.',
  },
  circuitBreakerCooldownSeconds: {
    kind: 'duration',
    unit: 'seconds',
    env: 'CIRCUIT_BREAKER_COOLDOWN_SECONDS',
    default: 30,
    min: 1,
    max: 3600,
    description: 'How long the open circuit answers at once before one probe.',
  },
  deviceScopeClaim: {
    kind: 'string',
    env: 'DEVICE_SCOPE_CLAIM',
    default: 'devices',
    pattern: CLAIM_NAME,
    defaultText: '`devices` (the construct: `custom:devices` with the Cognito pool it creates)',
    description: 'JWT claim that carries the caller’s device grants.',
  },
  allowedProductKeys: {
    kind: 'list',
    env: 'ALLOWED_PRODUCT_KEYS',
    item: 'productKey',
    nonEmpty: 'product key',
    defaultText: 'none: no deployment-wide limit',
    description: 'Products every caller is limited to, comma-separated.',
  },
  corsAllowedOrigins: {
    kind: 'list',
    env: 'CORS_ALLOWED_ORIGINS',
    item: 'origin',
    default: [],
    defaultText: 'none: no CORS, for server-side callers only',
    description: 'Exact browser origins allowed by CORS, comma-separated.',
  },
  logLevel: {
    kind: 'enum',
    env: 'LOG_LEVEL',
    values: LOG_LEVELS,
    default: 'info',
    description: 'Least severe level that is logged.',
  },
  tokenTable: {
    kind: 'string',
    env: 'TOKEN_TABLE',
    setByConstruct: true,
    requires: 'tokenStoreKeySecretId',
    defaultText: 'none: no fleet token store',
    description: 'DynamoDB table of the fleet-wide token store (L2).',
  },
  tokenStoreKeySecretId: {
    kind: 'string',
    env: 'TOKEN_STORE_KEY_SECRET_ID',
    setByConstruct: true,
    pattern: SECRET_ID,
    description: 'Secret holding the token store’s encryption key; required with TOKEN_TABLE.',
  },
  tokenRefreshMinIntervalSeconds: {
    kind: 'duration',
    unit: 'seconds',
    env: 'TOKEN_REFRESH_MIN_INTERVAL_SECONDS',
    default: 30,
    min: 0,
    max: 3600,
    description: 'Fleet-wide, at most one refresh login per device in this interval.',
  },
  tokenStoreTimeoutMs: {
    kind: 'duration',
    unit: 'ms',
    env: 'TOKEN_STORE_TIMEOUT_MS',
    default: 300,
    min: 20,
    max: 5000,
    description: 'Time limit of one token store call.',
  },
  tokenLeaseSeconds: {
    kind: 'duration',
    unit: 'seconds',
    env: 'TOKEN_LEASE_SECONDS',
    default: 10,
    min: 1,
    max: 300,
    description: 'How long a login lease holds before another container may take it over.',
  },
  sharedCircuit: {
    kind: 'boolean',
    env: 'SHARED_CIRCUIT',
    default: false,
    description: 'An open circuit in one container opens it for the fleet, through the store.',
  },
  loginBudgetPerHour: {
    kind: 'integer',
    env: 'LOGIN_BUDGET_PER_HOUR',
    default: 0,
    min: 0,
    max: 10_000_000,
    description: 'Fleet-wide upstream logins per account per hour that the alarm watches; 0 = off.',
  },
  loginBudgetEnforce: {
    kind: 'boolean',
    env: 'LOGIN_BUDGET_ENFORCE',
    default: false,
    requires: 'loginBudgetPerHour',
    description: 'Past the budget, misses answer 429; hits are still served.',
  },
} as const satisfies SettingsTable;

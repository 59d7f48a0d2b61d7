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
import { type SettingRow, type SettingsTable, withEnvNames } from './setting-rules.ts';

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
/** An account's name: in metric dimensions and logs, so short and plain. */
export const ACCOUNT_NAME = {
  regex: /^[a-z][a-z0-9-]{0,31}$/,
  expected: 'an account name (a-z, digits and hyphens, 1 to 32, a letter first)',
} as const;
/** `UPSTREAM_ACCOUNTS` adds accounts beside `default`, which is `SECRET_ID`'s. */
const ADDED_ACCOUNT = {
  regex: /^(?!default$)[a-z][a-z0-9-]{0,31}$/,
  expected: 'an account name other than default (a-z, digits and hyphens, 1 to 32, a letter first)',
} as const;
/** A route's key: a product key, or `*` for every product without its own route. */
const ROUTE_KEY = { regex: /^(\*|[A-Za-z0-9]{1,64})$/, expected: 'a product key or *' } as const;

/**
 * The rows, without their environment names: each is the field in
 * SCREAMING_SNAKE_CASE (the naming rule), filled in by {@link withEnvNames}
 * rather than spelled out, which also keeps them out of the Lambda bundle.
 */
const ROWS = {
  secretId: {
    kind: 'string',
    required: true,
    setByConstruct: true,
  },
  upstreamUrl: {
    kind: 'url',
    required: true,
  },
  upstreamAccounts: {
    kind: 'map',
    setByConstruct: true,
    map: { key: ADDED_ACCOUNT, value: SECRET_ID },
  },
  accountRoutes: {
    kind: 'map',
    map: { key: ROUTE_KEY, value: ACCOUNT_NAME },
  },
  maxDevicesPerRequest: {
    kind: 'integer',
    default: 50,
    min: 1,
    max: 500,
  },
  minTokenValiditySeconds: {
    kind: 'duration',
    unit: 'seconds',
    default: 300,
    min: 0,
    max: 86_400,
  },
  upstreamBatchSize: {
    kind: 'integer',
    default: 20,
    min: 1,
    max: 100,
  },
  upstreamTimeoutMs: {
    kind: 'duration',
    unit: 'ms',
    default: 3000,
    min: 100,
    max: 60_000,
  },
  secretCacheSeconds: {
    kind: 'duration',
    unit: 'seconds',
    default: 300,
    min: 0,
    max: 86_400,
  },
  secretMaxStaleSeconds: {
    kind: 'duration',
    unit: 'seconds',
    default: 3600,
    min: 0,
    max: 86_400,
  },
  tokenCacheMaxEntries: {
    kind: 'integer',
    default: 10_000,
    min: 1,
    max: 10_000_000,
  },
  tokenCacheMaxBytes: {
    kind: 'integer',
    default: 33_554_432,
    min: 65_536,
    max: 1_073_741_824,
  },
  upstreamMaxRetries: {
    kind: 'integer',
    default: 2,
    min: 0,
    max: 10,
  },
  upstreamMaxConcurrentLogins: {
    kind: 'integer',
    default: 4,
    min: 1,
    max: 100,
  },
  loginGatherMs: {
    kind: 'duration',
    unit: 'ms',
    default: 0,
    min: 0,
    max: 1000,
  },
  circuitBreakerThreshold: {
    kind: 'integer',
    default: 5,
    min: 1,
    max: 1000,
  },
  circuitBreakerCooldownSeconds: {
    kind: 'duration',
    unit: 'seconds',
    default: 30,
    min: 1,
    max: 3600,
  },
  deviceScopeClaim: {
    kind: 'string',
    default: 'devices',
    pattern: CLAIM_NAME,
  },
  allowedProductKeys: {
    kind: 'list',
    item: 'productKey',
    nonEmpty: 'product key',
  },
  corsAllowedOrigins: {
    kind: 'list',
    item: 'origin',
    default: [],
  },
  logLevel: {
    kind: 'enum',
    values: LOG_LEVELS,
    default: 'info',
  },
  tokenTable: {
    kind: 'string',
    setByConstruct: true,
    requires: 'tokenStoreKeySecretId',
  },
  tokenStoreKeySecretId: {
    kind: 'string',
    setByConstruct: true,
    pattern: SECRET_ID,
  },
  tokenRefreshMinIntervalSeconds: {
    kind: 'duration',
    unit: 'seconds',
    default: 30,
    min: 0,
    max: 3600,
  },
  tokenStoreTimeoutMs: {
    kind: 'duration',
    unit: 'ms',
    default: 300,
    min: 20,
    max: 5000,
  },
  tokenLeaseSeconds: {
    kind: 'duration',
    unit: 'seconds',
    default: 10,
    min: 1,
    max: 300,
  },
  sharedCircuit: {
    kind: 'boolean',
    default: false,
  },
  loginBudgetPerHour: {
    kind: 'integer',
    default: 0,
    min: 0,
    max: 10_000_000,
  },
  loginBudgetEnforce: {
    kind: 'boolean',
    default: false,
    requires: 'loginBudgetPerHour',
  },
  loginBudgetPrincipalPercent: {
    kind: 'integer',
    default: 25,
    min: 1,
    max: 100,
  },
  loginBudgetOnStoreFault: {
    kind: 'enum',
    values: ['closed', 'open'],
    default: 'closed',
  },
  grantsTable: {
    kind: 'string',
    setByConstruct: true,
  },
  groupsClaim: {
    kind: 'string',
    default: 'cognito:groups',
    pattern: CLAIM_NAME,
  },
  grantsCacheSeconds: {
    kind: 'duration',
    unit: 'seconds',
    default: 0,
    min: 0,
    max: 60,
  },
} as const satisfies Readonly<Record<string, Omit<SettingRow, 'env'>>>;

/** The function's settings. Keys are fields of {@link BrokerConfig}. */
export const SETTINGS = withEnvNames(ROWS) satisfies SettingsTable;

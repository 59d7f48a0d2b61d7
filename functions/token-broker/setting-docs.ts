/**
 * What each setting of settings.ts does, one sentence each, for the
 * generated docs and the construct's props table. Kept beside the table,
 * not in its rows, as error-docs.ts is beside the error catalogue: the
 * Lambda never shows them, and the bundle is the smaller for it. The type
 * makes a setting without its sentence a compile error.
 */
import type { SETTINGS } from './settings.ts';

/** One sentence per setting, by field. */
export const SETTING_DOCS = {
  secretId: 'Secrets Manager id or ARN of the developer credentials.',
  upstreamUrl: 'Base URL of the provider’s gateway: https, no user info, no query string.',
  upstreamAccounts:
    'More developer accounts beside `default` (SECRET_ID’s): name=secret id pairs, comma-separated.',
  accountRoutes:
    'Which account serves each product: productKey=account pairs, comma-separated, `*` for the rest.',
  maxDevicesPerRequest: 'Most devices one request may name.',
  minTokenValiditySeconds: 'A cached token is served only while it has at least this long left.',
  upstreamBatchSize: 'Most devices sent in one upstream login call.',
  upstreamTimeoutMs: 'Time limit of one upstream attempt.',
  secretCacheSeconds: 'How long the secret is cached in the function.',
  secretMaxStaleSeconds:
    'How long past the secret cache the last good secret is served while Secrets Manager is unreachable; 0 disables it.',
  tokenCacheMaxEntries: 'Most tokens kept in memory; the least recently used are evicted first.',
  tokenCacheMaxBytes: 'Most bytes of tokens kept in memory.',
  upstreamMaxRetries: 'Most retries of one upstream login after a transient failure.',
  upstreamMaxConcurrentLogins:
    'Most upstream logins in flight at once for the account, per container.',
  loginGatherMs: 'How long a miss waits for other misses to share its login; 0 in Lambda.',
  circuitBreakerThreshold: 'Consecutive upstream failures that open the circuit breaker.',
  circuitBreakerCooldownSeconds: 'How long the open circuit answers at once before one probe.',
  deviceScopeClaim: 'JWT claim that carries the caller’s device grants.',
  allowedProductKeys: 'Products every caller is limited to, comma-separated.',
  corsAllowedOrigins: 'Exact browser origins allowed by CORS, comma-separated.',
  logLevel: 'Least severe level that is logged.',
  tokenTable: 'DynamoDB table of the fleet-wide token store (L2).',
  tokenStoreKeySecretId:
    'Secret holding the token store’s encryption key; required with TOKEN_TABLE.',
  tokenRefreshMinIntervalSeconds:
    'Fleet-wide, at most one refresh login per device in this interval.',
  tokenStoreTimeoutMs: 'Time limit of one token store call.',
  tokenLeaseSeconds: 'How long a login lease holds before another container may take it over.',
  sharedCircuit: 'An open circuit in one container opens it for the fleet, through the store.',
  loginBudgetPerHour:
    'Fleet-wide upstream logins per account per hour that the alarm watches; 0 = off.',
  loginBudgetEnforce: 'Past the budget, misses answer 429; hits are still served.',
  loginBudgetPrincipalPercent:
    'Most of an enforced budget one caller (JWT sub) may spend in an hour, percent.',
  loginBudgetOnStoreFault:
    'An enforced budget the store cannot check: closed refuses misses (503), open logs in.',
  grantsTable: 'DynamoDB table of the grants directory, read on every request.',
  groupsClaim: 'JWT claim that carries the caller’s groups, each a directory principal.',
  grantsCacheSeconds:
    'How long a principal’s directory grants are cached; a revocation takes up to this long.',
} as const satisfies Record<keyof typeof SETTINGS, string>;

/** The default as the docs state it, where the value alone would mislead. */
export const SETTING_DEFAULT_TEXT: Partial<Record<keyof typeof SETTINGS, string>> = {
  deviceScopeClaim: '`devices` (the construct: `custom:devices` with the Cognito pool it creates)',
  allowedProductKeys: 'none: no deployment-wide limit',
  corsAllowedOrigins: 'none: no CORS, for server-side callers only',
  tokenTable: 'none: no fleet token store',
  upstreamAccounts: 'none: `default` is the one account',
  accountRoutes: '`*=default`: every product to the one account',
  grantsTable: 'none: grants come from the claim alone',
};

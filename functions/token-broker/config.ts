/**
 * Environment → typed configuration, validated once at cold start. Every env
 * var name the broker reads is spelled here and nowhere else in functions/.
 */
import { ConfigurationError } from './errors.ts';

/** The environment variables the broker reads, by config field. */
export const ENV = {
  secretId: 'SECRET_ID',
  upstreamUrl: 'UPSTREAM_URL',
  maxDevicesPerRequest: 'MAX_DEVICES_PER_REQUEST',
  minTokenValiditySeconds: 'MIN_TOKEN_VALIDITY_SECONDS',
  upstreamBatchSize: 'UPSTREAM_BATCH_SIZE',
  upstreamTimeoutMs: 'UPSTREAM_TIMEOUT_MS',
  loginGatherMs: 'LOGIN_GATHER_MS',
  secretCacheSeconds: 'SECRET_CACHE_SECONDS',
  secretMaxStaleSeconds: 'SECRET_MAX_STALE_SECONDS',
  tokenCacheMaxEntries: 'TOKEN_CACHE_MAX_ENTRIES',
  tokenCacheMaxBytes: 'TOKEN_CACHE_MAX_BYTES',
  upstreamMaxRetries: 'UPSTREAM_MAX_RETRIES',
  upstreamMaxConcurrentLogins: 'UPSTREAM_MAX_CONCURRENT_LOGINS',
  circuitBreakerThreshold: 'CIRCUIT_BREAKER_THRESHOLD',
  circuitBreakerCooldownSeconds: 'CIRCUIT_BREAKER_COOLDOWN_SECONDS',
  deviceScopeClaim: 'DEVICE_SCOPE_CLAIM',
  allowedProductKeys: 'ALLOWED_PRODUCT_KEYS',
  corsAllowedOrigins: 'CORS_ALLOWED_ORIGINS',
  logLevel: 'LOG_LEVEL',
} as const;

/** Log levels, least to most severe. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The broker's runtime configuration. */
export interface BrokerConfig {
  /** Secrets Manager id or ARN of the developer credentials. */
  readonly secretId: string;
  /** Base URL of the provider's gateway, without a trailing slash. */
  readonly upstreamUrl: string;
  /** Most devices one request may name. */
  readonly maxDevicesPerRequest: number;
  /** A cached token is served only while it has at least this many seconds left. */
  readonly minTokenValiditySeconds: number;
  /** Most devices sent in one upstream login call. */
  readonly upstreamBatchSize: number;
  /** Time limit of one upstream attempt, in milliseconds. */
  readonly upstreamTimeoutMs: number;
  /**
   * How long the first queued cache miss waits for misses of other requests
   * to share its login, in milliseconds; 0 shares only within one event-loop
   * turn (Lambda, where a container serves one request at a time).
   */
  readonly loginGatherMs: number;
  /** How long the secret is cached, in seconds. */
  readonly secretCacheSeconds: number;
  /**
   * How long past `secretCacheSeconds` the last good secret is still served
   * while Secrets Manager is unreachable, in seconds; 0 disables it.
   */
  readonly secretMaxStaleSeconds: number;
  /** Most tokens kept in memory; the least recently used are evicted first. */
  readonly tokenCacheMaxEntries: number;
  /** Most bytes of tokens and keys kept in memory; the least recently used are evicted first. */
  readonly tokenCacheMaxBytes: number;
  /** Most retries of one upstream login after a transient failure. */
  readonly upstreamMaxRetries: number;
  /** Most upstream logins in flight at once for the account, per container. */
  readonly upstreamMaxConcurrentLogins: number;
  /** Consecutive upstream failures that open the circuit breaker. */
  readonly circuitBreakerThreshold: number;
  /** How long the open circuit answers at once before one probe, in seconds. */
  readonly circuitBreakerCooldownSeconds: number;
  /** JWT claim that carries the caller's device grants. */
  readonly deviceScopeClaim: string;
  /** Products every caller is limited to; undefined means no deployment-wide limit. */
  readonly allowedProductKeys: readonly string[] | undefined;
  /** Exact origins allowed by CORS; empty means none. */
  readonly corsAllowedOrigins: readonly string[];
  /** Least severe level that is logged. */
  readonly logLevel: LogLevel;
}

/** Defaults of every optional setting. */
export const DEFAULTS = {
  maxDevicesPerRequest: 50,
  minTokenValiditySeconds: 300,
  upstreamBatchSize: 20,
  upstreamTimeoutMs: 3000,
  loginGatherMs: 0,
  secretCacheSeconds: 300,
  secretMaxStaleSeconds: 3600,
  tokenCacheMaxEntries: 10_000,
  tokenCacheMaxBytes: 33_554_432,
  upstreamMaxRetries: 2,
  upstreamMaxConcurrentLogins: 4,
  circuitBreakerThreshold: 5,
  circuitBreakerCooldownSeconds: 30,
  deviceScopeClaim: 'devices',
  logLevel: 'info',
} as const satisfies Partial<BrokerConfig>;

/** How {@link loadConfig} treats settings that differ between Lambda and the laptop. */
export interface LoadConfigOptions {
  /**
   * Allow `http:` upstream URLs on loopback, for the local simulator.
   * @default false
   */
  readonly allowLoopbackHttp?: boolean;
  /** Values used where the environment has none (the local server's built-in defaults). */
  readonly fallback?: Partial<Record<keyof typeof ENV, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration.
 * @throws ConfigurationError naming the variable at fault.
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): BrokerConfig {
  const read = (field: keyof typeof ENV): string | undefined => {
    const value = env[ENV[field]]?.trim();
    return value === undefined || value === '' ? options.fallback?.[field] : value;
  };
  const required = (field: keyof typeof ENV): string => {
    const value = read(field);
    if (value === undefined) throw new ConfigurationError(`${ENV[field]} is required`);
    return value;
  };
  const integer = (field: keyof typeof ENV & keyof typeof DEFAULTS, min: number, max: number) => {
    const raw = read(field);
    if (raw === undefined) return DEFAULTS[field] as number;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      throw new ConfigurationError(
        `${ENV[field]} must be a whole number from ${min} to ${max}, got "${raw}"`,
      );
    }
    return value;
  };
  const logLevel = read('logLevel') ?? DEFAULTS.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigurationError(`${ENV.logLevel} must be one of ${LOG_LEVELS.join(', ')}`);
  }

  return {
    secretId: required('secretId'),
    upstreamUrl: parseUpstreamUrl(required('upstreamUrl'), options.allowLoopbackHttp ?? false),
    maxDevicesPerRequest: integer('maxDevicesPerRequest', 1, 500),
    minTokenValiditySeconds: integer('minTokenValiditySeconds', 0, 86_400),
    upstreamBatchSize: integer('upstreamBatchSize', 1, 100),
    upstreamTimeoutMs: integer('upstreamTimeoutMs', 100, 60_000),
    loginGatherMs: integer('loginGatherMs', 0, 1000),
    secretCacheSeconds: integer('secretCacheSeconds', 0, 86_400),
    secretMaxStaleSeconds: integer('secretMaxStaleSeconds', 0, 86_400),
    tokenCacheMaxEntries: integer('tokenCacheMaxEntries', 1, 10_000_000),
    tokenCacheMaxBytes: integer('tokenCacheMaxBytes', 65_536, 1_073_741_824),
    upstreamMaxRetries: integer('upstreamMaxRetries', 0, 10),
    upstreamMaxConcurrentLogins: integer('upstreamMaxConcurrentLogins', 1, 100),
    circuitBreakerThreshold: integer('circuitBreakerThreshold', 1, 1000),
    circuitBreakerCooldownSeconds: integer('circuitBreakerCooldownSeconds', 1, 3600),
    deviceScopeClaim: parseClaimName(read('deviceScopeClaim') ?? DEFAULTS.deviceScopeClaim),
    allowedProductKeys: parseProductKeys(read('allowedProductKeys')),
    corsAllowedOrigins: parseOrigins(read('corsAllowedOrigins')),
    logLevel: logLevel as LogLevel,
  };
}

const list = (raw: string | undefined): string[] =>
  raw === undefined
    ? []
    : raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

function parseClaimName(raw: string): string {
  if (!/^[A-Za-z0-9_:.-]{1,128}$/.test(raw)) {
    throw new ConfigurationError(
      `${ENV.deviceScopeClaim} must be a claim name, got "${raw.slice(0, 40)}"`,
    );
  }
  return raw;
}

function parseProductKeys(raw: string | undefined): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  const keys = list(raw);
  for (const key of keys) {
    if (!/^[A-Za-z0-9]{1,64}$/.test(key)) {
      throw new ConfigurationError(
        `${ENV.allowedProductKeys} holds an invalid product key "${key.slice(0, 70)}"`,
      );
    }
  }
  if (keys.length === 0)
    throw new ConfigurationError(`${ENV.allowedProductKeys} is set but lists no product key`);
  return keys;
}

/**
 * Origins are compared as exact strings, so each must be a bare origin:
 * scheme, host and optional port, nothing else, and no wildcard.
 */
function parseOrigins(raw: string | undefined): readonly string[] {
  return list(raw).map((origin) => {
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
      throw new ConfigurationError(
        `${ENV.corsAllowedOrigins} entries must be exact origins such as https://app.example.com, got "${origin.slice(0, 80)}"`,
      );
    }
    return origin;
  });
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The upstream URL is fixed configuration: credentials are sent to it, so it
 * must be https (plain http only to loopback, for the local simulator), carry
 * no user info and no query string.
 */
function parseUpstreamUrl(raw: string, allowLoopbackHttp: boolean): string {
  const name = ENV.upstreamUrl;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError(`${name} is not a valid URL`);
  }
  // An IPv4 literal in 127/8 (URL has normalised it), not any name that
  // merely starts with "127.".
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127(?:\.\d{1,3}){3}$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowLoopbackHttp && loopback)) {
    throw new ConfigurationError(
      `${name} must use https:${allowLoopbackHttp ? ' (http: is allowed only to loopback)' : ''}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigurationError(`${name} must not contain user info`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigurationError(`${name} must not contain a query string or fragment`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

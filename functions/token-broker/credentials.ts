/**
 * Developer credentials: the secret source port, shape validation, and a
 * TTL cache that fetches once however many requests arrive together. The
 * Secrets Manager adapter is in secrets-manager-source.ts.
 */

import { BrokerError, ConfigurationError, CredentialsUnavailableError } from './errors.ts';
import type { Logger } from './log.ts';
import { METRICS, type Metrics, NO_METRICS } from './metrics.ts';
import { SECRET_PLACEHOLDER_PREFIX } from './secret-placeholder.ts';

/** How the broker authenticates to the provider's API gateway. */
export type GatewayAuth =
  | { readonly mode: 'none' }
  | { readonly mode: 'appCode'; readonly appCode: string }
  | { readonly mode: 'signature'; readonly appKey: string; readonly appSecret: string };

/**
 * One value of `gateway`: the one that names the app (`appKey`), or the one
 * that proves it (`appSecret`); an AppCode is both. '' without gateway auth.
 * The account's identity is made of the first, the audit key of the second.
 */
export function gatewayValue(gateway: GatewayAuth, part: 'name' | 'proof'): string {
  if (gateway.mode === 'appCode') return gateway.appCode;
  if (gateway.mode === 'signature') return part === 'name' ? gateway.appKey : gateway.appSecret;
  return '';
}

/** The developer account's credentials, as held in the secret. */
export interface Credentials {
  /** Developer account name. */
  readonly userName: string;
  /** Developer password; secret. */
  readonly password: string;
  /** Gateway authentication; its values are secret. */
  readonly gateway: GatewayAuth;
}

/** Where the raw secret string comes from: Secrets Manager, a file, a fake. */
export interface SecretSource {
  /** A human-readable name of the secret for logs (its id, never its value). */
  readonly name: string;
  /** Reads the secret string. */
  read(): Promise<string>;
}

/** The credentials port the broker uses. */
export interface CredentialsProvider {
  /** The current credentials, from cache while fresh. */
  get(): Promise<Credentials>;
  /**
   * Reads the secret again, bypassing the cache, after the upstream refused
   * `stale`. When the cache already holds something newer than `stale` (a
   * concurrent refresh got there first), that is returned without a read.
   */
  refresh(stale?: Credentials): Promise<Credentials>;
}

const SECRET_KEYS = ['userName', 'password', 'appCode', 'appKey', 'appSecret'] as const;

export { SECRET_PLACEHOLDER_PREFIX, SECRET_PLACEHOLDER_USER_NAME } from './secret-placeholder.ts';

/**
 * Parses and validates the secret string. Messages name keys, never values;
 * a JSON syntax error's own message quotes the input, so it is not kept.
 * @throws ConfigurationError
 */
export function parseCredentials(secretString: string, secretName: string): Credentials {
  const fail = (what: string) => new ConfigurationError(`Secret ${secretName} ${what}`);
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    throw fail('is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail('must be a JSON object');
  }
  const record = value as Record<string, unknown>;
  const placeholder = Object.keys(record).find(
    (key) => typeof record[key] === 'string' && record[key].startsWith(SECRET_PLACEHOLDER_PREFIX),
  );
  if (placeholder !== undefined) {
    // The key is named, not its value: only the user name's value is known not to be secret.
    throw fail(
      `still holds the deploy placeholder (key "${placeholder.slice(0, 40)}" begins with ${SECRET_PLACEHOLDER_PREFIX}): fill it in with the developer account's credentials`,
    );
  }
  for (const key of Object.keys(record)) {
    if (!(SECRET_KEYS as readonly string[]).includes(key)) {
      throw fail(`has unknown key "${key.slice(0, 40)}"; allowed: ${SECRET_KEYS.join(', ')}`);
    }
  }
  const text = (key: (typeof SECRET_KEYS)[number]): string | undefined => {
    const v = record[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw fail(`key "${key}" must be a non-empty string`);
    return v;
  };
  const userName = text('userName');
  const password = text('password');
  if (userName === undefined) throw fail('is missing key "userName"');
  if (password === undefined) throw fail('is missing key "password"');
  const appCode = text('appCode');
  const appKey = text('appKey');
  const appSecret = text('appSecret');
  if (appCode !== undefined && (appKey !== undefined || appSecret !== undefined)) {
    throw fail('must hold either "appCode" or "appKey" and "appSecret", not both');
  }
  if ((appKey === undefined) !== (appSecret === undefined)) {
    throw fail('must hold "appKey" and "appSecret" together');
  }
  const gateway: GatewayAuth =
    appCode !== undefined
      ? { mode: 'appCode', appCode }
      : appKey !== undefined && appSecret !== undefined
        ? { mode: 'signature', appKey, appSecret }
        : { mode: 'none' };
  return { userName, password, gateway };
}

/** Options of {@link createCredentialsProvider}. */
export interface CredentialsProviderOptions {
  /** Where the secret string comes from. */
  readonly source: SecretSource;
  /** How long a fetched secret is served from memory, in seconds. */
  readonly ttlSeconds: number;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
  /** Where configuration problems are reported. */
  readonly logger: Logger;
  /**
   * How long past `ttlSeconds` the last good secret is still served when
   * reading it again fails for a transient reason, in seconds
   * (`SECRET_MAX_STALE_SECONDS`). 0 disables serving a stale secret.
   * @default 0
   */
  readonly maxStaleSeconds?: number;
  /**
   * Where secret reads, failures and stale serves are counted.
   * @default NO_METRICS
   */
  readonly metrics?: Metrics;
}

/** Options of {@link createSecretCache}: those of the credentials plus how to parse the value. */
export interface SecretCacheOptions<T> extends CredentialsProviderOptions {
  /**
   * Turns the secret string into the value served; throws on a bad value.
   * Must not put the string into its error.
   */
  readonly parse: (secretString: string, secretName: string) => T;
  /** What the value is, for log messages ("the developer credentials"). */
  readonly label: string;
}

/** A cached secret value: {@link CredentialsProvider} for any parsed secret. */
export interface SecretCache<T> {
  /** The current value, from cache while fresh. */
  get(): Promise<T>;
  /**
   * Reads the secret again, bypassing the cache. When the cache already
   * holds something newer than `stale`, that is returned without a read.
   */
  refresh(stale?: T): Promise<T>;
}

/**
 * The most telling code of a failure, for logs: the first socket code
 * (`ECONNREFUSED`, `ECONNRESET`…) or specific error name
 * (`ThrottlingException`, `TimeoutError`…) along its cause chain, skipping
 * the broker's own wrappers, whose code says only "unavailable".
 */
export function failureCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (!(current instanceof BrokerError)) {
      const code = (current as { code?: unknown }).code;
      if (typeof code === 'string' && code !== '') return code;
      if (current.name !== 'Error') return current.name;
    }
    current = current.cause;
  }
  return undefined;
}

/** After a failed refresh is answered from the stale secret, the store is not asked again for this long, in ms. */
export const STALE_RETRY_MS = 10_000;

/**
 * Caches the credentials for `ttlSeconds` and shares one in-flight read among
 * all concurrent callers, so a burst of cold requests costs one GetSecretValue.
 */
export function createCredentialsProvider(
  options: CredentialsProviderOptions,
): CredentialsProvider {
  return createSecretCache({
    ...options,
    parse: parseCredentials,
    label: 'the developer credentials',
  });
}

/**
 * Caches a parsed secret for `ttlSeconds` and shares one in-flight read among
 * all concurrent callers; the credentials and the token store key both use it.
 */
export function createSecretCache<T>(options: SecretCacheOptions<T>): SecretCache<T> {
  const { source, ttlSeconds, now, logger, parse, label } = options;
  const metrics = options.metrics ?? NO_METRICS;
  const maxAgeMs = (ttlSeconds + (options.maxStaleSeconds ?? 0)) * 1000;
  let cached: { readonly value: T; readonly fetchedAt: number } | undefined;
  let inFlight: Promise<T> | undefined;
  // While a stale secret is served, the store is asked again at most this often.
  let retryAt = 0;

  /**
   * The last good secret, if a transient failure may be answered with it:
   * a configuration fault (deleted secret, revoked access, malformed value)
   * is never papered over, so that revoking the broker's access takes effect.
   */
  const staleFor = (error: unknown) =>
    error instanceof CredentialsUnavailableError &&
    cached !== undefined &&
    now() - cached.fetchedAt < maxAgeMs
      ? cached
      : undefined;

  const load = (allowStale: boolean): Promise<T> => {
    inFlight ??= (async () => {
      try {
        metrics.add(METRICS.secretFetches);
        const value = parse(await source.read(), source.name);
        cached = { value, fetchedAt: now() };
        return value;
      } catch (error) {
        metrics.add(METRICS.secretFetchFailures);
        const code = failureCode(error);
        const fields = {
          secret: source.name,
          errorName: error instanceof Error ? error.name : typeof error,
          ...(code === undefined ? {} : { errorCode: code }),
          errorMessage: error instanceof Error ? error.message : undefined,
        };
        const stale = allowStale ? staleFor(error) : undefined;
        if (stale !== undefined) {
          retryAt = now() + STALE_RETRY_MS;
          const why = code === undefined ? '' : ` (${code})`;
          logger.warn(`Could not refresh ${label}${why}; serving the cached secret`, {
            ...fields,
            ageSeconds: Math.floor((now() - stale.fetchedAt) / 1000),
            maxStaleSeconds: options.maxStaleSeconds ?? 0,
          });
          metrics.add(METRICS.staleSecretServed);
          return stale.value;
        }
        logger.error(`Could not load ${label}`, fields);
        throw error;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  return {
    get() {
      if (cached !== undefined) {
        const age = now() - cached.fetchedAt;
        if (age < ttlSeconds * 1000) return Promise.resolve(cached.value);
        if (age < maxAgeMs && now() < retryAt) {
          metrics.add(METRICS.staleSecretServed);
          return Promise.resolve(cached.value);
        }
      }
      return load(true);
    },
    refresh(stale) {
      // Concurrent refusals of the same secret cost one read, not one each.
      if (stale !== undefined && cached !== undefined && cached.value !== stale) {
        return Promise.resolve(cached.value);
      }
      return load(false);
    },
  };
}

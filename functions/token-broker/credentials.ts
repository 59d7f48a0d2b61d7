/**
 * Developer credentials: the secret source port (the secret's shape and
 * parser are in credentials-secret.ts), and a
 * TTL cache that fetches once however many requests arrive together. The
 * Secrets Manager adapter is in secrets-manager-source.ts.
 */

import { type Credentials, parseCredentials } from './credentials-secret.ts';
import { BrokerError, CredentialsUnavailableError } from './errors.ts';
import type { Logger } from './log.ts';
import { METRICS, type Metrics, NO_METRICS } from './metrics.ts';

export {
  type Credentials,
  type GatewayAuth,
  gatewayValue,
  parseCredentials,
} from './credentials-secret.ts';

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

export { SECRET_PLACEHOLDER_PREFIX, SECRET_PLACEHOLDER_USER_NAME } from './secret-placeholder.ts';

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

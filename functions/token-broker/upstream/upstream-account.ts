/**
 * One upstream developer account as a value: its credentials, the breaker
 * and the concurrency limit of its logins, and the identity that keys every
 * token it produces. Built in the composition root (runtime.ts) and passed
 * to whatever logs in, leases, counts or opens a circuit for it.
 */
import { createHash } from 'node:crypto';
import { type Credentials, type CredentialsProvider, gatewayValue } from '../credentials.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import type { ConcurrencyLimit } from './concurrency-limit.ts';

/** The account a token was produced by: what L1 keys and L2 hashes are made of. */
export interface AccountIdentity {
  /** Short digest of {@link identity}, for L1 keys; never logged with the device. */
  readonly tag: string;
  /** The identity tuple (user name, gateway mode, AppKey or AppCode, the secret's gateway URL if any) as JSON; never logged. */
  readonly identity: string;
}

/** An upstream developer account. */
export interface UpstreamAccount {
  /** The account's name in settings, metrics and logs (`default`); never the user name. */
  readonly name: string;
  /** Its credentials, from its secret. */
  readonly credentials: CredentialsProvider;
  /** Its circuit breaker, per container. */
  readonly breaker: CircuitBreaker;
  /** Its cap on parallel logins, per container. */
  readonly limit: ConcurrencyLimit;
  /**
   * The identity of the credentials in use now. When the secret cannot be
   * read, the last identity seen, so that L1 hits survive a secret outage as
   * they always have; rejects only before any secret was read.
   */
  current(): Promise<AccountIdentity>;
}

const IDENTITIES = new WeakMap<Credentials, AccountIdentity>();

/**
 * The identity of `credentials`: the same account, whatever its password,
 * has the same identity, so a password rotation keeps the cache; another
 * user name or AppKey is another account, whose tokens are never mixed in.
 */
export function identityOf(credentials: Credentials): AccountIdentity {
  const known = IDENTITIES.get(credentials);
  if (known !== undefined) return known;
  // JSON keeps the parts apart whatever characters they hold. The gateway
  // is a part only when the secret names one, so that today's keys stand.
  const parts = [
    credentials.userName,
    credentials.gateway.mode,
    gatewayValue(credentials.gateway, 'name'),
  ];
  if (credentials.upstreamUrl !== undefined) parts.push(credentials.upstreamUrl);
  const identity = JSON.stringify(parts);
  const tag = createHash('sha256').update(identity).digest('base64url').slice(0, 16);
  const made = { tag, identity };
  IDENTITIES.set(credentials, made);
  return made;
}

/** The parts of an {@link UpstreamAccount}. */
export interface UpstreamAccountParts {
  /** @default 'default' */
  readonly name?: string;
  readonly credentials: CredentialsProvider;
  readonly breaker: CircuitBreaker;
  readonly limit: ConcurrencyLimit;
  /**
   * Another secret read with the credentials, in the same Secrets Manager
   * round trip (the token store key): its outcome is its reader's business.
   * @default none
   */
  readonly readAlongside?: () => Promise<unknown>;
}

/**
 * Creates an account from its parts.
 * @example
 * const account = createUpstreamAccount({ credentials, breaker, limit });
 * const { tag } = await account.current();
 */
export function createUpstreamAccount(parts: UpstreamAccountParts): UpstreamAccount {
  let last: AccountIdentity | undefined;
  return {
    name: parts.name ?? 'default',
    credentials: parts.credentials,
    breaker: parts.breaker,
    limit: parts.limit,
    async current() {
      try {
        const [credentials] = await Promise.all([
          parts.credentials.get(),
          parts.readAlongside?.().catch(() => undefined),
        ]);
        last = identityOf(credentials);
        return last;
      } catch (error) {
        if (last === undefined) throw error;
        return last;
      }
    },
  };
}

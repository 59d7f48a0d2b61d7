/**
 * The multi-account mode of `npm start` (issue 18), as plain values:
 * `LOCAL_ACCOUNTS=cn,eu` names the developer accounts to add beside
 * `default`, each with its own simulator ("data center"), dev credentials,
 * product key and dev secret. An entry `name=url` uses a simulator that is
 * already running there instead, which is how `npm run fleet`'s containers
 * share the fleet's simulators. Pure: local-account-set.ts starts them.
 */
import { ANY_PRODUCT, DEFAULT_ACCOUNT } from '../token-broker/accounts.ts';
import { ConfigurationError } from '../token-broker/errors.ts';
import { ACCOUNT_NAME } from '../token-broker/settings.ts';
import { LOCAL_ENV } from './local-settings.ts';
import type { SimulatorAccount } from './upstream-simulator.ts';

/** Most accounts one local server starts: each is a simulator and a secret. */
export const MAX_LOCAL_ACCOUNTS = 8;

/** One entry of `LOCAL_ACCOUNTS`. */
export interface LocalAccountSpec {
  /** The account's name, as `UPSTREAM_ACCOUNTS` and `ACCOUNT_ROUTES` spell it. */
  readonly name: string;
  /** A simulator already running for it (loopback only); absent, one is started. */
  readonly upstreamUrl?: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost']);

/** The loopback URL of an entry `name=url`, or the error naming the setting. */
function loopbackUrl(name: string, raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) {
    throw new ConfigurationError(
      `${LOCAL_ENV.accounts} gives ${name} the upstream "${raw.slice(0, 80)}": it must be an http URL on 127.0.0.1 or localhost, since the local server never sends traffic off this machine`,
    );
  }
  return url.origin;
}

/** One entry: `name`, or `name=url`. */
function parseEntry(entry: string): LocalAccountSpec {
  const at = entry.indexOf('=');
  const name = (at < 0 ? entry : entry.slice(0, at)).trim();
  if (name === DEFAULT_ACCOUNT || !ACCOUNT_NAME.regex.test(name)) {
    throw new ConfigurationError(
      `${LOCAL_ENV.accounts} names "${name.slice(0, 40)}": each entry must be ${ACCOUNT_NAME.expected}, other than ${DEFAULT_ACCOUNT} (which is always there), e.g. ${LOCAL_ENV.accounts}=cn,eu`,
    );
  }
  return at < 0 ? { name } : { name, upstreamUrl: loopbackUrl(name, entry.slice(at + 1).trim()) };
}

/**
 * Parses `LOCAL_ACCOUNTS`: `cn,eu`, or `cn=http://127.0.0.1:4100,eu=…`.
 * @returns undefined when unset or blank: the single-account start of today.
 * @throws ConfigurationError naming `LOCAL_ACCOUNTS` for a bad or repeated
 *   name, an upstream off loopback, or too many accounts.
 */
export function parseLocalAccounts(raw: string | undefined): LocalAccountSpec[] | undefined {
  const entries = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) return undefined;
  if (entries.length > MAX_LOCAL_ACCOUNTS) {
    throw new ConfigurationError(
      `${LOCAL_ENV.accounts} names ${entries.length} accounts; at most ${MAX_LOCAL_ACCOUNTS}`,
    );
  }
  const specs = entries.map(parseEntry);
  const seen = new Set<string>();
  const products = new Set<string>();
  for (const { name } of specs) {
    if (seen.has(name)) throw new ConfigurationError(`${LOCAL_ENV.accounts} names ${name} twice`);
    seen.add(name);
    // Product keys have no hyphen, so two names can come to one key (a-1b, a1b).
    const productKey = productKeyOf(name);
    if (products.has(productKey)) {
      throw new ConfigurationError(
        `${LOCAL_ENV.accounts}: two accounts would share the product key ${productKey}; rename one`,
      );
    }
    products.add(productKey);
  }
  return specs;
}

/**
 * The product key routed to an account by default: `pk` and the name in
 * camel case (`cn` → `pkCn`, `us-east` → `pkUsEast`), as product keys allow
 * letters and digits only.
 */
export const productKeyOf = (name: string): string =>
  `pk${name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}`;

/** The secret id of an account's dev secret, as `UPSTREAM_ACCOUNTS` names it. */
export const devSecretIdOf = (name: string): string => `local-dev-secret-${name}`;

/**
 * An account's dev credentials: those of `base` (the simulator's built-in
 * account, in the gateway mode of `SIMULATOR_GATEWAY_AUTH`), each suffixed
 * with the name, so no two accounts share a user name, password, AppCode,
 * AppKey or AppSecret, and a login signed for one is refused by another.
 */
export function devAccountOf(name: string, base: SimulatorAccount): SimulatorAccount {
  const suffixed = Object.entries(base).map(([key, value]) => [key, `${value}-${name}`]);
  return Object.fromEntries(suffixed) as unknown as SimulatorAccount;
}

/**
 * `ACCOUNT_ROUTES` of the mode unless set: each account's product key to
 * it, and every other product to `default`, so the README's request works
 * as in the single-account start.
 */
export const defaultRoutes = (specs: readonly LocalAccountSpec[]): Record<string, string> => ({
  ...Object.fromEntries(specs.map(({ name }) => [productKeyOf(name), name])),
  [ANY_PRODUCT]: DEFAULT_ACCOUNT,
});

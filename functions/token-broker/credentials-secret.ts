/**
 * The developer credentials secret: its shape, and its JSON checked key by
 * key. Messages name keys, never values.
 */
import { ConfigurationError } from './errors.ts';
import { InvalidSettingError } from './invalid-setting-error.ts';
import { SECRET_PLACEHOLDER_PREFIX } from './secret-placeholder.ts';
import { parseUpstreamUrl } from './upstream-url.ts';

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
  /** The account's own gateway (its data center), when not `UPSTREAM_URL`'s. */
  readonly upstreamUrl?: string;
}

const SECRET_KEYS = [
  'userName',
  'password',
  'appCode',
  'appKey',
  'appSecret',
  'upstreamUrl',
] as const;

/**
 * Parses and validates the secret string. Messages name keys, never values;
 * a JSON syntax error's own message quotes the input, so it is not kept.
 * An optional `upstreamUrl` names the account's own gateway, by the rule
 * of `UPSTREAM_URL`; plain http on loopback only with `allowLoopbackHttp`.
 * @throws ConfigurationError
 */
export function parseCredentials(
  secretString: string,
  secretName: string,
  allowLoopbackHttp = false,
): Credentials {
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
  const url = text('upstreamUrl');
  if (url === undefined) return { userName, password, gateway };
  try {
    return { userName, password, gateway, upstreamUrl: parseUpstreamUrl(url, allowLoopbackHttp) };
  } catch (cause) {
    if (!(cause instanceof InvalidSettingError)) throw cause;
    throw fail(`key "upstreamUrl" ${cause.message}`);
  }
}

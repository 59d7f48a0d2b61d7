/**
 * The running accounts of the multi-account mode (local-accounts.ts): one
 * upstream simulator per account, each on its own loopback port with its
 * own credentials, fault switch and login counters, as separate data
 * centres are, and a dev secret per account whose `upstreamUrl` points at
 * its simulator. The runtime reads those secrets through `secretSourceOf`.
 */
import { ANY_PRODUCT, DEFAULT_ACCOUNT } from '../token-broker/accounts.ts';
import type { SecretSource } from '../token-broker/credentials.ts';
import { ConfigurationError } from '../token-broker/errors.ts';
import type { SettingMap } from '../token-broker/setting-maps.ts';
import {
  devAccountOf,
  devSecretIdOf,
  type LocalAccountSpec,
  productKeyOf,
} from './local-accounts.ts';
import {
  type SimulatorAccount,
  type SimulatorOptions,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from './upstream-simulator.ts';

/** One account of the mode. */
export interface LocalAccount {
  /** Its name, as `UPSTREAM_ACCOUNTS` spells it. */
  readonly name: string;
  /** The product key routed to it unless `ACCOUNT_ROUTES` says otherwise. */
  readonly productKey: string;
  /** The id of its dev secret in `UPSTREAM_ACCOUNTS`. */
  readonly secretId: string;
  /** Its gateway base URL, the secret's `upstreamUrl`. */
  readonly upstreamUrl: string;
  /** Its simulator, when started here (not when `LOCAL_ACCOUNTS` gave a URL). */
  readonly simulator: UpstreamSimulator | undefined;
  /** Reads of its dev secret so far. */
  secretReads(): number;
  /**
   * Rotates its password, in its simulator (when started here) and in its
   * dev secret at once, as an operator's rotation ends up.
   */
  rotatePassword(password: string): void;
}

/** The accounts of the mode, running. */
export interface LocalAccounts {
  /** In `LOCAL_ACCOUNTS` order. */
  readonly accounts: readonly LocalAccount[];
  /** `UPSTREAM_ACCOUNTS` of the mode: name → dev secret id. */
  readonly upstreamAccounts: SettingMap;
  /** The secret source of a secret id of {@link upstreamAccounts}, for the runtime. */
  secretSourceOf(secretId: string): SecretSource;
  /** Stops the simulators started here. */
  close(): Promise<void>;
}

/** Options of {@link startLocalAccounts}. */
export interface LocalAccountsOptions {
  /** The built-in account of the gateway mode, from which each account's credentials derive. */
  readonly base: SimulatorAccount;
  /** The rest of each simulator's options (token lifetime). */
  readonly simulator?: Omit<SimulatorOptions, 'account' | 'port'>;
}

/** Starts one account: its simulator unless given a URL, and its dev secret. */
async function startAccount(
  spec: LocalAccountSpec,
  options: LocalAccountsOptions,
): Promise<{ account: LocalAccount; source: SecretSource }> {
  let credentials = devAccountOf(spec.name, options.base);
  const simulator =
    spec.upstreamUrl === undefined
      ? await startUpstreamSimulator({ ...options.simulator, account: credentials })
      : undefined;
  const upstreamUrl = spec.upstreamUrl ?? simulator?.url ?? '';
  const secretId = devSecretIdOf(spec.name);
  let reads = 0;
  const source: SecretSource = {
    name: `built-in dev secret of account ${spec.name}`,
    read: async () => {
      reads += 1;
      return JSON.stringify({ ...credentials, upstreamUrl });
    },
  };
  const account: LocalAccount = {
    name: spec.name,
    productKey: productKeyOf(spec.name),
    secretId,
    upstreamUrl,
    simulator,
    secretReads: () => reads,
    rotatePassword(password) {
      credentials = { ...credentials, password };
      simulator?.setAccount(credentials);
    },
  };
  return { account, source };
}

/**
 * Starts every account of `specs`. On a failure, stops the simulators
 * already started and throws.
 */
export async function startLocalAccounts(
  specs: readonly LocalAccountSpec[],
  options: LocalAccountsOptions,
): Promise<LocalAccounts> {
  const started = await Promise.allSettled(specs.map((spec) => startAccount(spec, options)));
  const close = () =>
    Promise.all(
      started.map((s) => (s.status === 'fulfilled' ? s.value.account.simulator?.close() : null)),
    ).then(() => {});
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const sources = new Map(ok.map(({ account, source }) => [account.secretId, source]));
  return {
    accounts: ok.map((s) => s.account),
    upstreamAccounts: Object.fromEntries(ok.map(({ account: a }) => [a.name, a.secretId])),
    secretSourceOf(secretId) {
      const source = sources.get(secretId);
      if (source === undefined) {
        throw new ConfigurationError(
          `no local dev secret ${secretId.slice(0, 80)}: in the multi-account mode the accounts' secrets are the built-in ones`,
        );
      }
      return source;
    },
    close,
  };
}

/**
 * The ready line's accounts: per account, the products routed to it and
 * its upstream, as `routes` (the `ACCOUNT_ROUTES` in force) has it.
 * @param defaultUpstream - the `default` account's upstream, as the ready line names it
 */
export function accountLines(
  local: LocalAccounts,
  routes: SettingMap,
  defaultUpstream: string,
): string[] {
  const productsOf = (name: string) => {
    const keys = Object.keys(routes).filter((k) => routes[k] === name && k !== ANY_PRODUCT);
    if (routes[ANY_PRODUCT] === name) keys.push('every other product (*)');
    return keys.length > 0 ? keys.join(', ') : 'no product routed';
  };
  const width = Math.max(DEFAULT_ACCOUNT.length, ...local.accounts.map((a) => a.name.length));
  const rows = [
    ...local.accounts.map(
      (a) =>
        `${a.name.padEnd(width)}  ${productsOf(a.name)} → ${a.simulator ? 'simulator' : 'upstream'} at ${a.upstreamUrl}`,
    ),
    `${DEFAULT_ACCOUNT.padEnd(width)}  ${productsOf(DEFAULT_ACCOUNT)} → ${defaultUpstream}`,
  ];
  return rows.map((row, i) => `${i === 0 ? '  accounts: ' : '            '}${row}`);
}

/**
 * What `npm start` adds in its multi-account mode (`LOCAL_ACCOUNTS`): the
 * accounts' simulators and dev secrets, the `UPSTREAM_ACCOUNTS` and
 * `ACCOUNT_ROUTES` they imply, the runtime's `secretSourceOf`, and the
 * ready line's account lines. Apart from server.ts, whose single-account
 * start stays as it was.
 */
import { routesOf } from '../token-broker/accounts.ts';
import { type BrokerConfig, ENV } from '../token-broker/config.ts';
import { ConfigurationError } from '../token-broker/errors.ts';
import type { RuntimeOverrides } from '../token-broker/runtime.ts';
import { formatMap } from '../token-broker/setting-maps.ts';
import { accountLines, type LocalAccounts, startLocalAccounts } from './local-account-set.ts';
import { defaultRoutes, parseLocalAccounts } from './local-accounts.ts';
import { checkSecret } from './local-secret.ts';
import { LOCAL_ENV } from './local-settings.ts';
import type { SimulatorAccount, SimulatorOptions } from './upstream-simulator.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The multi-account mode of one local server, started. */
export interface AccountMode {
  /** The accounts beside `default`, and their simulators. */
  readonly local: LocalAccounts;
  /** loadConfig's fallbacks: `UPSTREAM_ACCOUNTS` always, `ACCOUNT_ROUTES` unless set. */
  readonly fallback: { readonly upstreamAccounts: string; readonly accountRoutes: string };
  /** The runtime's overrides of the mode: each account's dev secret, upstreams on loopback http. */
  readonly overrides: Pick<RuntimeOverrides, 'secretSourceOf' | 'allowLoopbackHttp'>;
  /** Reads and validates each account's dev secret, as the broker will, before the ready line. */
  checkSecrets(): Promise<void>;
  /** The ready line's part: which product goes where, and a product per account to ask for. */
  readyFacts(
    config: BrokerConfig,
    defaultUpstream: string,
  ): { accountLines: string[]; exampleProducts: string[] };
}

/**
 * Starts the mode when `LOCAL_ACCOUNTS` is set.
 * @param base - the built-in account of the gateway mode, which each account's credentials derive from
 * @returns undefined when `LOCAL_ACCOUNTS` is unset: the single-account start.
 * @throws ConfigurationError naming `LOCAL_ACCOUNTS` for a bad entry, or
 *   `UPSTREAM_ACCOUNTS` when both are set (the mode decides the accounts).
 */
export async function startAccountMode(
  env: Env,
  base: SimulatorAccount,
  simulator: Omit<SimulatorOptions, 'account' | 'port'>,
): Promise<AccountMode | undefined> {
  const specs = parseLocalAccounts(env[LOCAL_ENV.accounts]);
  if (specs === undefined) return undefined;
  if (env[ENV.upstreamAccounts]?.trim()) {
    throw new ConfigurationError(
      `${LOCAL_ENV.accounts} and ${ENV.upstreamAccounts} are both set: ${LOCAL_ENV.accounts} makes the accounts and their dev secrets itself, so unset ${ENV.upstreamAccounts} (set ${ENV.accountRoutes} to route products otherwise)`,
    );
  }
  const local = await startLocalAccounts(specs, { base, simulator });
  return {
    local,
    fallback: {
      upstreamAccounts: formatMap(local.upstreamAccounts),
      accountRoutes: formatMap(defaultRoutes(specs)),
    },
    overrides: { secretSourceOf: local.secretSourceOf, allowLoopbackHttp: true },
    checkSecrets: async () => {
      for (const account of local.accounts) {
        await checkSecret(local.secretSourceOf(account.secretId), true);
      }
    },
    readyFacts: (config, defaultUpstream) => ({
      accountLines: accountLines(local, routesOf(config), defaultUpstream),
      exampleProducts: local.accounts.map((a) => a.productKey),
    }),
  };
}

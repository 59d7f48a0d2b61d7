/**
 * The multi-account part of `npm run fleet` (issue 18): one simulator per
 * account beside `default`, started once by the fleet and shared by every
 * container, as every Lambda container of a deployment calls the same data
 * centres. Each container learns them as `LOCAL_ACCOUNTS=cn=url,eu=url`,
 * so it makes the same dev credentials and routes as `npm start` does.
 */
import { DEFAULT_ACCOUNT } from '../token-broker/accounts.ts';
import { type LocalAccounts, startLocalAccounts } from './local-account-set.ts';
import { parseLocalAccounts } from './local-accounts.ts';
import { LOCAL_ENV } from './local-settings.ts';
import {
  DEV_ACCOUNT,
  type SimulatorOptions,
  type UpstreamSimulator,
} from './upstream-simulator.ts';

/** One account's logins, as its simulator counted them. */
export interface FleetAccountLogins {
  /** The account's name. */
  readonly name: string;
  /** Login calls its simulator received. */
  readonly logins: number;
  /** Devices those logins asked for, repeats counted. */
  readonly devices: number;
}

/**
 * Starts the simulators of `names`, in the containers' gateway mode (the
 * fleet's containers do not inherit `SIMULATOR_GATEWAY_AUTH`: AppCode).
 * @returns undefined for no names: the single-account fleet of today.
 * @throws ConfigurationError naming `LOCAL_ACCOUNTS` for a bad name.
 */
export async function startFleetAccounts(
  names: readonly string[] | undefined,
  simulator: Omit<SimulatorOptions, 'account' | 'port'>,
): Promise<LocalAccounts | undefined> {
  const specs = parseLocalAccounts(names?.join(','));
  return specs === undefined
    ? undefined
    : startLocalAccounts(specs, { base: DEV_ACCOUNT, simulator });
}

/** A container's `LOCAL_ACCOUNTS`: each account with the fleet's simulator for it. */
export const fleetAccountsEnv = (accounts: LocalAccounts | undefined): Record<string, string> =>
  accounts === undefined
    ? {}
    : {
        [LOCAL_ENV.accounts]: accounts.accounts.map((a) => `${a.name}=${a.upstreamUrl}`).join(','),
      };

const loginsOf = (name: string, simulator: UpstreamSimulator | undefined): FleetAccountLogins => ({
  name,
  logins: simulator?.logins.length ?? 0,
  devices: simulator?.logins.reduce((n, l) => n + l.devices.length, 0) ?? 0,
});

/** Logins per account, `default` (the fleet's shared simulator) first; empty with one account. */
export const accountsSummary = (
  simulator: UpstreamSimulator | undefined,
  accounts: LocalAccounts | undefined,
): FleetAccountLogins[] =>
  accounts === undefined
    ? []
    : [
        loginsOf(DEFAULT_ACCOUNT, simulator),
        ...accounts.accounts.map((a) => loginsOf(a.name, a.simulator)),
      ];

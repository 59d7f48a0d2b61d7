/**
 * Several upstream accounts behind one {@link Broker}: a request's devices
 * are split by their product's route, each account's broker serves its own
 * share in parallel, and the answers are joined in the order asked. One
 * account failing (its upstream down, its circuit open, its secret
 * unreadable) fails only its own devices, in `failures[]`; a device whose
 * product no route names fails with `NO_ACCOUNT_ROUTE`, with no upstream
 * call. Pure: the brokers, routes and logger are injected.
 */
import { routeOf } from './accounts.ts';
import type { Broker } from './broker.ts';
import {
  ACCOUNT_FAILURE_CODES,
  type AccountFailureCode,
  type DeviceFailure,
  type DeviceKey,
  deviceId,
  type IssuedToken,
  type TokenResult,
} from './contract.ts';
import { problemEntry } from './error-catalogue.ts';
import { BrokerError, DEVICE_FAILURE_CODES } from './errors.ts';
import { describeError, type Logger } from './log.ts';
import type { SettingMap } from './setting-maps.ts';

/** One routed account, as the router sees it. */
export interface RoutedAccount {
  /** Serves the account's devices. */
  readonly broker: Broker;
  /** Reads the account's secret; called for every account on the first request. */
  warm(): Promise<unknown>;
}

/** Options of {@link createAccountRouter}. */
export interface AccountRouterOptions {
  /** The routed accounts, by name. */
  readonly accounts: ReadonlyMap<string, RoutedAccount>;
  /** productKey (or `*`) → account name; every name is in `accounts`. */
  readonly routes: SettingMap;
  /** Where a failed account is logged, with its name. */
  readonly logger: Logger;
}

const NO_ROUTE = {
  code: DEVICE_FAILURE_CODES.noRoute,
  message: 'No upstream account serves this product',
} as const;

const isAccountFailure = (error: unknown): error is BrokerError & { code: AccountFailureCode } =>
  error instanceof BrokerError && (ACCOUNT_FAILURE_CODES as readonly string[]).includes(error.code);

type Answer = { readonly token: IssuedToken } | { readonly failure: DeviceFailure };

/**
 * Creates the router.
 * @example
 * const broker = createAccountRouter({ accounts, routes: { pkCn: 'cn', '*': 'eu' }, logger });
 * const { tokens, failures } = await broker.getTokens(devices, { authorized });
 */
export function createAccountRouter(options: AccountRouterOptions): Broker {
  const { accounts, routes, logger } = options;
  let warmed: Promise<unknown> | undefined;
  return {
    async getTokens(devices, request = {}) {
      const groups = groupByAccount(routes, devices);
      // Every account's secret is asked for in this same turn, so the first
      // request reads them all in one round trip (the reader batches them).
      warmed ??= Promise.allSettled([...accounts.values()].map((a) => a.warm()));
      const warming = warmed;
      const served = [...groups].map(([name, share]) =>
        (accounts.get(name) as RoutedAccount).broker.getTokens(share, request),
      );
      const settled = await Promise.allSettled(served);
      await warming;
      // A refusal is the answer, whatever else fails or was never routed.
      await request.authorized;
      return join(devices, [...groups], settled, logger);
    },
  };
}

/** The devices of each routed account, in the order asked; unrouted devices are left out. */
function groupByAccount(routes: SettingMap, devices: readonly DeviceKey[]) {
  const groups = new Map<string, DeviceKey[]>();
  for (const device of devices) {
    const name = routeOf(routes, device.productKey);
    if (name === undefined) continue;
    const share = groups.get(name);
    if (share === undefined) groups.set(name, [device]);
    else share.push(device);
  }
  return groups;
}

/**
 * One answer from the accounts' outcomes, in the order asked. When every
 * account failed, the failure of the first by name is the request's, as
 * with one account; an error that is no account's problem (a bug) is
 * never hidden in `failures[]`.
 */
function join(
  devices: readonly DeviceKey[],
  groups: readonly (readonly [string, readonly DeviceKey[]])[],
  settled: readonly PromiseSettledResult<TokenResult>[],
  logger: Logger,
): TokenResult {
  const byDevice = new Map<string, Answer>();
  if (settled.every((s) => s.status === 'rejected')) {
    // The first account by name, so that the answer does not hang on the order asked.
    const first = settled
      .map((s, i) => ({ s, name: groups[i]?.[0] ?? '' }))
      .sort((a, b) => (a.name < b.name ? -1 : 1))[0];
    if (first?.s.status === 'rejected') throw first.s.reason;
  }
  settled.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') {
      for (const token of outcome.value.tokens) byDevice.set(deviceId(token), { token });
      for (const failure of outcome.value.failures) byDevice.set(deviceId(failure), { failure });
      return;
    }
    const error: unknown = outcome.reason;
    if (!isAccountFailure(error)) throw error;
    const [name, share] = groups[i] as (typeof groups)[number];
    logger.warn('an upstream account failed; its devices are reported in failures', {
      account: name,
      code: error.code,
      devices: share.length,
      error: describeError(error),
    });
    const entry = problemEntry(error.code);
    const message = entry.publicDetail ?? entry.title;
    for (const device of share)
      byDevice.set(deviceId(device), { failure: { ...device, code: error.code, message } });
  });
  const result: TokenResult = { tokens: [], failures: [] };
  for (const device of devices) {
    const answer = byDevice.get(deviceId(device));
    if (answer === undefined) result.failures.push({ ...device, ...NO_ROUTE });
    else if ('token' in answer) result.tokens.push(answer.token);
    else result.failures.push(answer.failure);
  }
  return result;
}

/**
 * Which upstream developer accounts a deployment has and which serves each
 * product: `SECRET_ID` is the account `default`, `UPSTREAM_ACCOUNTS` adds
 * named ones, and `ACCOUNT_ROUTES` maps a product key (or `*`) to one.
 * Pure: loadConfig checks it at cold start and the construct at synth.
 */
import type { SettingMap } from './setting-maps.ts';

/** The account `SECRET_ID` holds. */
export const DEFAULT_ACCOUNT = 'default';

/** The route of `ACCOUNT_ROUTES` that serves every product without its own. */
export const ANY_PRODUCT = '*';

/** The routes when `ACCOUNT_ROUTES` is unset: every product to `default`. */
export const DEFAULT_ROUTES: SettingMap = { [ANY_PRODUCT]: DEFAULT_ACCOUNT };

/** The settings that name accounts and routes, as loadConfig or the construct parsed them. */
export interface AccountSettings {
  readonly secretId: string;
  readonly upstreamAccounts?: SettingMap | undefined;
  readonly accountRoutes?: SettingMap | undefined;
}

/** Every account, name → secret id: `default` first. */
export const accountsOf = (settings: AccountSettings): ReadonlyMap<string, string> =>
  new Map([
    [DEFAULT_ACCOUNT, settings.secretId],
    ...Object.entries(settings.upstreamAccounts ?? {}),
  ]);

/** The routes in force: `ACCOUNT_ROUTES`, or {@link DEFAULT_ROUTES} when unset. */
export const routesOf = (settings: AccountSettings): SettingMap =>
  settings.accountRoutes ?? DEFAULT_ROUTES;

/**
 * The accounts some route names, name → secret id, in the routes' order:
 * the ones whose secrets are read. An account no route names is never read.
 */
export function routedAccounts(settings: AccountSettings): ReadonlyMap<string, string> {
  const all = accountsOf(settings);
  const routed = new Map<string, string>();
  for (const name of Object.values(routesOf(settings))) {
    const secretId = all.get(name);
    if (secretId !== undefined) routed.set(name, secretId);
  }
  return routed;
}

/** The account that serves `productKey`, or undefined when no route does. */
export function routeOf(routes: SettingMap, productKey: string): string | undefined {
  return Object.hasOwn(routes, productKey) ? routes[productKey] : routes[ANY_PRODUCT];
}

/**
 * What is wrong with the accounts and routes, as messages naming the
 * settings by `nameOf` (the env var at run time, the prop at synth): a
 * route to an account that does not exist.
 */
export function accountProblems(
  settings: AccountSettings,
  nameOf: (field: 'upstreamAccounts' | 'accountRoutes') => string,
): string[] {
  const all = accountsOf(settings);
  return Object.entries(routesOf(settings)).flatMap(([product, name]) =>
    all.has(name)
      ? []
      : [
          `${nameOf('accountRoutes')} routes ${product} to the account ${name}, which is neither ${DEFAULT_ACCOUNT} nor in ${nameOf('upstreamAccounts')}`,
        ],
  );
}

/**
 * The fleet tier's steps, each a named function of a run: serve what the
 * store holds, lease, log in and write, wait for another holder, and go
 * direct when the store cannot help. fleet-tier.ts strings them together.
 */
import { METRICS } from '../metrics.ts';
import { keyedId } from '../store/token-crypto.ts';
import type { LeaseOutcomes, LeaseRequest, StoreEntry } from '../store/token-store.ts';
import { canServe, type HeldToken, serveRule } from '../token.ts';
import { NO_TOKEN, type Outcome } from '../token-source.ts';
import type { AccountIdentity } from '../upstream/upstream-account.ts';
import {
  budgetSpent,
  budgetUnknown,
  isEnforced,
  loginsFor,
  reservationFor,
} from './fleet-guards.ts';
import {
  afterLogin,
  callOptions,
  devicesOf,
  type FleetContext,
  type FleetRun,
  tally,
} from './fleet-run.ts';

/** Settles a device's waiter. */
const settle = (run: FleetRun, id: string, outcome: Outcome) =>
  run.waiters.get(id)?.resolve(outcome);

/** Serves the tokens of `tokens` that may be served; returns the ids still without one. */
export function serve(
  ctx: FleetContext,
  run: FleetRun,
  tokens: ReadonlyMap<string, HeldToken>,
  ids: readonly string[],
): string[] {
  const { settings } = ctx;
  const rule = serveRule(
    ctx.now(),
    settings.minValidityMs,
    run.request.refresh,
    settings.refreshIntervalMs,
  );
  const left = ids.filter((id) => {
    const token = tokens.get(id);
    if (token === undefined || !canServe(token, rule, run.byId.get(id))) return true;
    settle(run, id, { token, account: run.request.account });
    return false;
  });
  tally(ctx, run, 'storeHits', ids.length - left.length);
  return left;
}

/** Takes a lease per device of `ids`; each device's outcome is its own. */
export async function lease(
  ctx: FleetContext,
  run: FleetRun,
  ids: readonly string[],
  forced: boolean,
): Promise<LeaseOutcomes & { readonly holder: string }> {
  const { settings } = ctx;
  const holder = ctx.newHolder();
  run.holders.add(holder);
  const at = ctx.now();
  const wanted: LeaseRequest =
    run.request.refresh || forced
      ? {
          holder,
          leaseMs: settings.leaseMs,
          mode: 'refresh',
          refreshNotBefore: forced ? Number.MAX_SAFE_INTEGER : at - settings.refreshIntervalMs,
        }
      : {
          holder,
          leaseMs: settings.leaseMs,
          mode: 'miss',
          minValidUntil: at + settings.minValidityMs,
        };
  if (forced) for (const id of ids) run.forced.add(id);
  const out = await run.store.lease(run.account, ids, wanted, callOptions(ctx, run));
  tally(ctx, run, 'leasesTaken', out.granted.size);
  return { ...out, holder };
}

/**
 * Reserves the logins of `ids` when the budget is enforced. Refused or
 * unknown (fail closed), the devices' waiters fail and nothing is logged in.
 */
async function reserve(ctx: FleetContext, run: FleetRun, ids: readonly string[]): Promise<boolean> {
  const { budget } = ctx.settings;
  if (!isEnforced(budget)) return true;
  const reservation = reservationFor(ids.length, budget, run.principalKey);
  const ok = await run.store.reserveLogins(run.account, reservation, callOptions(ctx, run));
  if (ok === true || (ok === undefined && budget.onStoreFault === 'open')) return true;
  ctx.metrics.add(METRICS.budgetExceeded, ids.length);
  const error = ok === undefined ? budgetUnknown() : budgetSpent(budget, ctx.now());
  fail(run, ids, error);
  return false;
}

/**
 * Logs in for `ids` through the wrapped source, then writes the tokens
 * under the account that produced them (releasing `holder`'s leases in the
 * same write) and answers. The write and release get a small fixed budget:
 * a token in hand never waits long on the store, and no store fault turns
 * it into an error.
 */
export async function loginAndWrite(
  ctx: FleetContext,
  run: FleetRun,
  ids: readonly string[],
  holder: string,
): Promise<void> {
  if (ids.length === 0) return;
  if (!(await reserve(ctx, run, ids))) {
    await run.store.release(run.account, ids, holder, afterLogin(ctx, run));
    return;
  }
  const { outcomes, failure } = await logIn(ctx, run, ids);
  const after = afterLogin(ctx, run);
  const written =
    failure === undefined ? await writeTokens(ctx, run, outcomes, holder) : new Set<string>();
  await Promise.all([
    run.store.release(
      run.account,
      ids.filter((id) => !written.has(id)),
      holder,
      after,
    ),
    count(ctx, run, ids.length),
  ]);
  if (failure !== undefined) fail(run, ids, failure.error);
  else for (const id of ids) settle(run, id, outcomes.get(id) ?? NO_TOKEN);
}

/** Counts the logins for the budget's alarm when it is not enforced (enforced ones were reserved). */
async function count(ctx: FleetContext, run: FleetRun, devices: number): Promise<void> {
  const { budget } = ctx.settings;
  if (budget.perHour <= 0 || budget.enforce) return;
  const opts = afterLogin(ctx, run);
  const total = await run.store.countLogins(run.account, loginsFor(devices, budget), opts);
  if (total !== undefined) ctx.metrics.add(METRICS.fleetLoginsThisHour, total);
}

/**
 * Writes each token under the hash of the account whose login produced it:
 * after a refused login and a re-read secret that is not the account the
 * run leased under, and those tokens get no lease of ours to release there.
 */
async function writeTokens(
  ctx: FleetContext,
  run: FleetRun,
  outcomes: ReadonlyMap<string, Outcome>,
  holder: string,
): Promise<ReadonlySet<string>> {
  const byAccount = new Map<AccountIdentity, StoreEntry[]>();
  for (const [deviceId, outcome] of outcomes) {
    if (!('token' in outcome)) continue;
    const entries = byAccount.get(outcome.account) ?? [];
    entries.push({
      deviceId,
      token: outcome.token,
      ...(run.forced.has(deviceId) ? { replace: true } : {}),
    });
    byAccount.set(outcome.account, entries);
  }
  const written = new Set<string>();
  await Promise.all(
    [...byAccount].map(async ([identity, entries]) => {
      const ours = identity === run.request.account;
      const account = ours ? run.account : keyedId(run.keys.hashKey, identity.identity);
      const opts = afterLogin(ctx, run);
      const done = await run.store.write(account, entries, ours ? holder : ctx.newHolder(), opts);
      if (ours) for (const id of done) written.add(id);
    }),
  );
  return written;
}

/**
 * Logs in for `ids` without the store: it failed this run, or an unusable
 * item was taken over once already. Nothing more is asked of the store for
 * them but an enforced budget's reservation, so a failing store costs no
 * more time once it has failed, and an unreadable budget is decided by its
 * rule, not skipped.
 */
export async function direct(
  ctx: FleetContext,
  run: FleetRun,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0 || !(await reserve(ctx, run, ids))) return;
  const { outcomes, failure } = await logIn(ctx, run, ids);
  if (failure !== undefined) fail(run, ids, failure.error);
  else for (const id of ids) settle(run, id, outcomes.get(id) ?? NO_TOKEN);
}

/** Logs in for `ids` through the wrapped source: each device's outcome, or the request-wide failure. */
async function logIn(ctx: FleetContext, run: FleetRun, ids: readonly string[]) {
  const pending = ctx.inner.resolve(devicesOf(run, ids), run.request);
  const outcomes = new Map<string, Outcome>();
  let failure: { readonly error: unknown } | undefined;
  await Promise.all(
    ids.map((id) =>
      (pending.get(id) ?? Promise.resolve(NO_TOKEN)).then(
        (outcome) => void outcomes.set(id, outcome),
        (error: unknown) => {
          failure ??= { error };
        },
      ),
    ),
  );
  return { outcomes, failure: failure as { readonly error: unknown } | undefined };
}

/** Fails the waiters of `ids` with a request-wide error, and stops the run's waiting. */
export function fail(run: FleetRun, ids: readonly string[], error: unknown): void {
  for (const id of ids) run.waiters.get(id)?.reject(error);
  run.stop.abort();
}

/**
 * The wait step: devices another holder is logging in for, and devices
 * whose lease outcome is unknown, are polled for until a token appears, the
 * lease turns out to be ours, the holder is gone (take over, once), or the
 * request's deadline nears (log in, a served request beats a perfect count).
 */
import { METRICS } from '../metrics.ts';
import { callOptions, type FleetContext, type FleetRun, tally } from './fleet-run.ts';
import { direct, lease, loginAndWrite, serve } from './fleet-steps.ts';
import { pollDelayMs, waitBudget } from './lease-wait.ts';

/** Consecutive failed polls after which the waiting devices are logged in without the store. */
export const MAX_POLL_FAULTS = 2;

/** Polls for `ids`; `seenLeased` are those first seen under someone else's live lease. */
export async function waitFor(
  ctx: FleetContext,
  run: FleetRun,
  ids: readonly string[],
  seenLeased: Set<string>,
): Promise<void> {
  const { settings } = ctx;
  const fly = (flight: Promise<void>) => {
    // Handled at once: a flight may fail while this loop still sleeps.
    flight.catch(() => {});
    run.flights.push(flight);
  };
  let waiting = [...ids];
  tally(ctx, run, 'leaseWaits', waiting.length);
  const until = waitBudget(
    run.started,
    run.request.deadline,
    settings.leaseMs,
    settings.loginReserveMs + settings.afterLoginStoreMs,
  );
  const signals = [run.stop.signal, run.request.signal].filter((s) => s !== undefined);
  const signal = AbortSignal.any(signals);
  let faults = 0;
  for (let round = 0; waiting.length > 0 && !run.stop.signal.aborted; round++) {
    const pause = pollDelayMs(round, ctx.random);
    if (ctx.now() + pause >= until) {
      fly(loginAndWrite(ctx, run, waiting, ctx.newHolder()));
      return;
    }
    try {
      await ctx.sleep(pause, signal);
    } catch (error) {
      // The request failed elsewhere: its waiters already know; nothing more to wait for.
      if (run.stop.signal.aborted) return;
      throw error;
    }
    const polled = await run.store.read(run.account, waiting, callOptions(ctx, run));
    if (polled === undefined) {
      // One slow read under a burst is not an outage: only a second in a
      // row sends the devices direct, past another holder's login.
      if (++faults < MAX_POLL_FAULTS) continue;
      fly(direct(ctx, run, waiting));
      return;
    }
    faults = 0;
    waiting = serve(ctx, run, polled.tokens, waiting);
    // A lease whose write timed out may have landed after all: it is ours.
    const ours = new Map<string, string[]>();
    const free: string[] = [];
    for (const id of waiting) {
      const holder = polled.leased.get(id);
      if (holder !== undefined && run.holders.has(holder))
        ours.set(holder, [...(ours.get(holder) ?? []), id]);
      else if (holder !== undefined) seenLeased.add(id);
      else free.push(id);
    }
    for (const [holder, mine] of ours) fly(loginAndWrite(ctx, run, mine, holder));
    waiting = waiting.filter(
      (id) => polled.leased.get(id) !== undefined && !run.holders.has(polled.leased.get(id) ?? ''),
    );
    if (free.length === 0) continue;
    // No lease and no token we may serve: the holder crashed or failed, or
    // the item is unusable. Take it once, whatever it holds; a device taken
    // over before and free again is logged in without more store writes.
    const again = free.filter((id) => run.forced.has(id));
    if (again.length > 0) fly(direct(ctx, run, again));
    const first = free.filter((id) => !run.forced.has(id));
    if (first.length === 0) continue;
    const next = await lease(ctx, run, first, true);
    const overtaken = [...next.granted].filter((id) => seenLeased.has(id)).length;
    if (overtaken > 0) ctx.metrics.add(METRICS.leaseTakeovers, overtaken);
    fly(loginAndWrite(ctx, run, [...next.granted], next.holder));
    waiting.push(...next.refused, ...next.unknown);
  }
}

/**
 * How a container waits for a token another container is logging in for:
 * short polls, jittered so waiters spread out, growing so a slow login costs
 * few reads, and bounded by the request's own deadline.
 */

/** First and largest pause between polls of the store, ms. */
export const POLL_DELAY_MS = { first: 40, max: 120 } as const;

/**
 * The pause before poll `round` (0-based): 40, 60, 90, 120, 120… ms, each
 * scaled by a random factor in [0.75, 1.25).
 */
export function pollDelayMs(round: number, random: () => number): number {
  const base = Math.min(POLL_DELAY_MS.max, POLL_DELAY_MS.first * 1.5 ** round);
  return Math.round(base * (0.75 + random() / 2));
}

/**
 * Epoch ms after which a waiter stops polling and logs in itself: the
 * deadline less the time a direct login needs; without a deadline, a little
 * past the lease, by when a crashed holder's lease has been taken over.
 */
export function waitBudget(
  start: number,
  deadline: number | undefined,
  leaseMs: number,
  loginReserveMs: number,
): number {
  return deadline === undefined ? start + 2 * leaseMs + 1000 : deadline - loginReserveMs;
}

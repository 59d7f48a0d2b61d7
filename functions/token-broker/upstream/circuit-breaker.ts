/**
 * A consecutive-failure circuit breaker. Its state lives in the container's
 * memory: each Lambda container (and the local server) trips on its own, so a
 * fleet of N warm containers may send up to N probes after a cooldown.
 */
import { UpstreamUnavailableError } from '../errors.ts';

/** Settings of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (`CIRCUIT_BREAKER_THRESHOLD`). */
  readonly threshold: number;
  /** How long the circuit stays open before one probe, in ms. */
  readonly cooldownMs: number;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
}

/** The breaker's states. */
export const CIRCUIT_STATES = {
  closed: 'closed',
  open: 'open',
  halfOpen: 'half-open',
} as const;

/** A breaker state. */
export type CircuitState = (typeof CIRCUIT_STATES)[keyof typeof CIRCUIT_STATES];

/** A circuit breaker around one upstream. */
export interface CircuitBreaker {
  /**
   * Lets an attempt through, or throws at once while the circuit is open or
   * while the single half-open probe is out.
   * @throws UpstreamUnavailableError
   */
  acquire(): void;
  /** The upstream answered: closes the circuit. */
  success(): void;
  /** The upstream failed: counts towards opening; a failed probe reopens. */
  failure(): void;
  /** The current state, for logs. */
  state(): CircuitState;
  /**
   * Subscribes to the circuit opening: `listener` gets when it may close,
   * epoch ms. The fleet tier shares it with the other containers this way.
   */
  onOpen(listener: (until: number) => void): void;
}

/** Creates a circuit breaker. */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { threshold, cooldownMs, now } = options;
  let failures = 0;
  let openedAt: number | undefined;
  let probing = false;
  const listeners: Array<(until: number) => void> = [];

  const unavailable = (waitMs: number) =>
    new UpstreamUnavailableError(
      `Circuit open after ${threshold} consecutive upstream failures`,
      Math.max(1, Math.ceil(waitMs / 1000)),
    );

  const current = (): CircuitState => {
    if (openedAt === undefined) return CIRCUIT_STATES.closed;
    return probing || now() - openedAt >= cooldownMs
      ? CIRCUIT_STATES.halfOpen
      : CIRCUIT_STATES.open;
  };

  return {
    acquire() {
      if (openedAt === undefined) return;
      const waited = now() - openedAt;
      if (waited < cooldownMs) throw unavailable(cooldownMs - waited);
      // One probe at a time; the others are told to come back shortly.
      if (probing) throw unavailable(1000);
      probing = true;
    },
    success() {
      failures = 0;
      openedAt = undefined;
      probing = false;
    },
    failure() {
      failures += 1;
      if (probing || failures >= threshold) {
        openedAt = now();
        probing = false;
        for (const listener of listeners) listener(openedAt + cooldownMs);
      }
    },
    state: current,
    onOpen(listener) {
      listeners.push(listener);
    },
  };
}

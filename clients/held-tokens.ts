/**
 * The tokens a client holds, one per device, shared by both clients. Expiry
 * is kept on the client's own clock, from `expiresIn`, so a skewed clock
 * cannot make a token look fresher or staler than the broker said. Its only
 * import is the wire contract, so it ships with either client.
 */
import { deviceId, type IssuedToken } from '../functions/token-broker/contract.ts';

/** A token as held: the broker's answer and when it expires on this clock. */
export interface HeldToken {
  /** The token as the broker issued it. */
  readonly token: IssuedToken;
  /** When it arrived, epoch milliseconds on the client's clock. */
  readonly receivedAtMs: number;
  /** When it expires, epoch milliseconds on the client's clock. */
  readonly expiresAtMs: number;
}

/**
 * Tokens by device id (`productKey/deviceName`), least recently used first,
 * bounded by `maxEntries`.
 * @example
 * const held = new HeldTokens(1000);
 * held.set(token, Date.now());
 * const fresh = held.get('pkA/cam-1', Date.now(), 300_000);
 */
export class HeldTokens {
  readonly #entries = new Map<string, HeldToken>();
  readonly #maxEntries: number;

  /** @param maxEntries - most tokens held; the least recently used goes first. */
  constructor(maxEntries = Number.POSITIVE_INFINITY) {
    this.#maxEntries = maxEntries;
  }

  /** The held token of `id` with at least `minMs` left at `nowMs`, if any. */
  get(id: string, nowMs: number, minMs: number): HeldToken | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.expiresAtMs - nowMs < minMs) return undefined;
    // Re-inserted so that the map's order is the order of last use.
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry;
  }

  /** Holds `token`, received at `nowMs`, in place of the device's previous one. */
  set(token: IssuedToken, nowMs: number): HeldToken {
    const id = deviceId(token);
    const entry = { token, receivedAtMs: nowMs, expiresAtMs: nowMs + token.expiresIn * 1000 };
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
    return entry;
  }

  /** Every held token with its id, least recently used first. */
  entries(): IterableIterator<[string, HeldToken]> {
    return this.#entries.entries();
  }

  /** How many tokens are held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every token. */
  clear(): void {
    this.#entries.clear();
  }
}

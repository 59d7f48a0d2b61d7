/**
 * A held token, and the one rule that decides whether it may be served: the
 * in-process cache (L1), the fleet store (L2) and the broker's answer all ask
 * {@link canServe}, so the three can never disagree.
 */
import type { DeviceKey } from './contract.ts';
import {
  checkToken,
  MAX_TOKEN_LIFETIME_MS,
  VISUAL_TOKEN_PATTERN,
} from './upstream/token-expiry.ts';

/** A token as the broker holds it, in L1 and (encrypted) in L2. */
export interface HeldToken {
  /** The provider's token; secret, never logged. */
  readonly visualToken: string;
  /** Expiry, epoch ms. */
  readonly expiresAt: number;
  /** When the REFRESH login that produced it started, epoch ms; absent after an ordinary miss. */
  readonly refreshedAt?: number;
}

/** What a token must satisfy to be served. */
export interface ServeRule {
  /** The clock reading, epoch ms. */
  readonly now: number;
  /** It must stay valid this long after `now`, ms. */
  readonly minValidityMs: number;
  /**
   * A refresh: it must come from a refresh login at or after this, epoch ms
   * (`now` less the refresh interval). Absent for an ordinary request.
   */
  readonly refreshedSince?: number;
}

// The pattern test costs about as much as the rest of a cache hit, so each
// held token object is tested once, not on every hit.
const WELL_FORMED = new WeakSet<HeldToken>();
const wellFormed = (token: HeldToken): boolean => {
  if (WELL_FORMED.has(token)) return true;
  if (typeof token.visualToken !== 'string' || !VISUAL_TOKEN_PATTERN.test(token.visualToken)) {
    return false;
  }
  WELL_FORMED.add(token);
  return true;
};

/**
 * Whether `token` may be served under `rule`. A cache is a port, and a value
 * that slipped past the upstream check (another writer, a future bug) must
 * cost a fresh login, never a response that throws. With `device`, a token
 * from outside this process (the store) is checked again as an upstream
 * answer is: its subject must name that device.
 */
export function canServe(
  token: HeldToken | undefined,
  rule: ServeRule,
  device?: DeviceKey,
): boolean {
  if (token === undefined || !wellFormed(token)) return false;
  const { now } = rule;
  const left = token.expiresAt - now;
  if (!Number.isFinite(left) || left <= 0 || left < rule.minValidityMs) return false;
  if (left > MAX_TOKEN_LIFETIME_MS) return false;
  if (
    rule.refreshedSince !== undefined &&
    !((token.refreshedAt ?? -Infinity) >= rule.refreshedSince)
  ) {
    return false;
  }
  return device === undefined || checkToken(device, token.visualToken, left / 1000, now).ok;
}

/** The serve rule of a request at `now`: a refresh also needs a recent refresh login. */
export const serveRule = (
  now: number,
  minValidityMs: number,
  refresh: boolean,
  refreshIntervalMs: number,
): ServeRule =>
  refresh
    ? { now, minValidityMs, refreshedSince: now - refreshIntervalMs }
    : { now, minValidityMs };

// toISOString costs about half a microsecond, once per token served: an L1
// hit serves the same held object again and again, so its text is kept.
const EXPIRY_TEXT = new WeakMap<HeldToken, string>();

/**
 * `token.expiresAt` as an ISO 8601 string, as the wire contract sends it.
 * Only for a token {@link canServe} accepted, whose expiry is finite.
 * @example
 * expiryText({ visualToken, expiresAt: 0 }); // '1970-01-01T00:00:00.000Z'
 */
export function expiryText(token: HeldToken): string {
  let text = EXPIRY_TEXT.get(token);
  if (text === undefined) {
    text = new Date(token.expiresAt).toISOString();
    EXPIRY_TEXT.set(token, text);
  }
  return text;
}

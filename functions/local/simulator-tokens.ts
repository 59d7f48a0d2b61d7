/**
 * The devices a login asks for, and the simulator's visual tokens for them: JWT-shaped, `sub` = `productKey#deviceName`,
 * signed with a key only the simulator holds, so the broker can read but
 * never forge them.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

/** Lifetime of a simulator token unless set: an hour, as the provider's tokens often have. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

/** Longest lifetime a simulator token may be given: a day. */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/**
 * A token lifetime setting (`SIMULATOR_TOKEN_LIFETIME_SECONDS` of `npm start`),
 * so renewal can be tried in a minute rather than an hour.
 * @param name - the variable, for the message
 * @throws Error naming `name` unless a whole number of seconds from 1 to a day.
 * @example
 * parseTokenLifetime(process.env.SIMULATOR_TOKEN_LIFETIME_SECONDS, 'SIMULATOR_TOKEN_LIFETIME_SECONDS');
 */
export function parseTokenLifetime(raw: string | undefined, name: string): number {
  const text = raw?.trim() ?? '';
  if (text === '') return DEFAULT_TOKEN_LIFETIME_SECONDS;
  const seconds = Number(text);
  if (!/^\d+$/.test(text) || seconds < 1 || seconds > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new Error(
      `${name} must be a whole number of seconds from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}, got "${raw}"`,
    );
  }
  return seconds;
}

/** A device named in a login. */
export interface SimulatorDevice {
  /** The product key. */
  readonly productKey: string;
  /** The device name. */
  readonly deviceName: string;
}

/** How the tokens of one login are made. */
export interface TokenIssue {
  /**
   * Lifetime in seconds, sent as `expire` and as the JWT `exp`.
   * @default DEFAULT_TOKEN_LIFETIME_SECONDS
   */
  readonly lifetimeSeconds?: number | undefined;
  /** Issue time, epoch seconds. */
  readonly issuedAt: number;
  /** The simulator's signing key. */
  readonly key: Uint8Array;
  /** The `wrong-sub` fault: the first token names another device. */
  readonly wrongSub?: boolean;
  /** The `extra` fault: each entry carries a field the provider does not document. */
  readonly extraField?: boolean;
}

/** The `deviceVisualTokenList` of a login's answer. */
export function issueTokens(devices: readonly SimulatorDevice[], issue: TokenIssue) {
  const lifetime = issue.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  return Promise.all(
    devices.map(async (d, i) => ({
      productKey: d.productKey,
      deviceName: d.deviceName,
      visualToken: await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(
          issue.wrongSub && i === 0
            ? 'otherProduct#otherDevice'
            : `${d.productKey}#${d.deviceName}`,
        )
        .setIssuedAt(issue.issuedAt)
        .setJti(randomBytes(9).toString('base64url')) // two logins never yield one token
        .setExpirationTime(issue.issuedAt + lifetime)
        .sign(issue.key),
      expire: lifetime,
      ...(issue.extraField ? { internalNote: 'upstream-only field' } : {}),
    })),
  );
}

/** The devices of a login body, or undefined when it is not JSON. */
export function parseLogin(body: Buffer) {
  let payload: { userName?: unknown; password?: unknown; deviceList?: unknown };
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const list = Array.isArray(payload.deviceList) ? payload.deviceList : [];
  const devices: SimulatorDevice[] = list.map(
    (d: { productKey?: unknown; deviceName?: unknown }) => ({
      productKey: String(d?.productKey),
      deviceName: String(d?.deviceName),
    }),
  );
  return { userName: payload.userName, password: payload.password, devices };
}

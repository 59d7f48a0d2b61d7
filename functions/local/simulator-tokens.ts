/**
 * The devices a login asks for, and the simulator's visual tokens for them: JWT-shaped, `sub` = `productKey#deviceName`,
 * signed with a key only the simulator holds, so the broker can read but
 * never forge them.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

/** A device named in a login. */
export interface SimulatorDevice {
  /** The product key. */
  readonly productKey: string;
  /** The device name. */
  readonly deviceName: string;
}

/** How the tokens of one login are made. */
export interface TokenIssue {
  /** Lifetime in seconds, sent as `expire` and as the JWT `exp`. */
  readonly lifetimeSeconds: number;
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
        .setExpirationTime(issue.issuedAt + issue.lifetimeSeconds)
        .sign(issue.key),
      expire: issue.lifetimeSeconds,
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

/**
 * The audit trail: one line per token request naming who asked for which
 * devices, what each was granted by, what was served or refused, and a
 * short keyed fingerprint of each token served, by which an operator can
 * match a leaked token to the request that issued it without the token ever
 * being logged (docs/operations.md#audit-trail). Pure.
 */
import { createHmac } from 'node:crypto';
import { type Credentials, gatewayValue } from './credentials.ts';
import { type DeviceKey, deviceId } from './device.ts';
import { type Grants, isGranted } from './scope.ts';
import type { StoreKeys } from './store/token-crypto.ts';

/** Characters of a fingerprint: 96 bits of an HMAC-SHA256, base64url. */
const FINGERPRINT_CHARS = 16;

const KEYS = new WeakMap<object, Buffer>();

/**
 * The fingerprint key when the token store is on: derived from the store's
 * random key, so a fingerprint and the token it was made of (which every
 * caller holds) tell nothing about any password. Preferred wherever the
 * store key exists.
 */
export function auditKeyOfStore(keys: StoreKeys): Buffer {
  let key = KEYS.get(keys);
  if (key === undefined) {
    key = createHmac('sha256', keys.hashKey)
      .update('visual-token-broker/audit-fingerprint/v1')
      .digest();
    KEYS.set(keys, key);
  }
  return key;
}

/**
 * The fingerprint key without a token store: derived from the account's
 * secret parts, so it is as secret as they are, never leaves the function,
 * and changes when the secret is rotated (fingerprints of older lines need
 * the secret's previous version, which Secrets Manager keeps). Someone who
 * reads the audit log and holds a token could test password guesses against
 * it offline (docs/SECURITY.md), which the store's key rules out.
 */
export function auditKeyOf(credentials: Credentials): Buffer {
  let key = KEYS.get(credentials);
  if (key === undefined) {
    const secret = gatewayValue(credentials.gateway, 'proof');
    key = createHmac('sha256', 'visual-token-broker/audit-fingerprint/v1')
      .update(JSON.stringify([credentials.userName, credentials.password, secret]))
      .digest();
    KEYS.set(credentials, key);
  }
  return key;
}

/**
 * The fingerprint of `visualToken` under `key`.
 * @example
 * fingerprintOf(auditKeyOf(credentials), leakedToken); // 'q3V0…', as in the audit line
 */
export function fingerprintOf(key: Buffer, visualToken: string): string {
  // An HMAC costs about 10 µs, and an L1 hit serves the same tokens again
  // and again: remembered per key, so a 100-device hit does not pay 1 ms.
  let known = FINGERPRINTS.get(key);
  if (known === undefined) {
    known = new Map();
    FINGERPRINTS.set(key, known);
  }
  let fingerprint = known.get(visualToken);
  if (fingerprint === undefined) {
    fingerprint = createHmac('sha256', key)
      .update(visualToken)
      .digest('base64url')
      .slice(0, FINGERPRINT_CHARS);
    // Bounded like L1; starting over costs one HMAC per token, once.
    if (known.size >= MAX_REMEMBERED_FINGERPRINTS) known.clear();
    known.set(visualToken, fingerprint);
  }
  return fingerprint;
}

/** Most fingerprints remembered per key. */
const MAX_REMEMBERED_FINGERPRINTS = 10_000;
const FINGERPRINTS = new WeakMap<Buffer, Map<string, string>>();

/** Device ids joined by commas, the form the saved queries match with a regex. */
export const idList = (devices: readonly DeviceKey[]): string => devices.map(deviceId).join(',');

/**
 * {@link idList} of `subset`, a part of `devices` (which holds no device
 * twice), reusing `devicesText`, the list of all of `devices`, when `subset`
 * is as long and so holds the same devices: the common case, where joining
 * them again would cost as much as the rest of the line. The order may then
 * be the request's; the saved queries match a device anywhere in the list.
 */
export const idListOf = (
  subset: readonly DeviceKey[],
  devices: readonly DeviceKey[],
  devicesText: string,
): string => (subset.length === devices.length ? devicesText : idList(subset));

/**
 * The requested devices each source covers: `viaClaim`, `viaDirectory`.
 * `requested` is {@link idList} of `devices`.
 */
export function grantedVia(
  grants: Grants | undefined,
  devices: readonly DeviceKey[],
  requested: string,
) {
  const claim = grants?.sources?.claim ?? grants;
  const directory = grants?.sources?.directory;
  const via = (source: Grants | undefined) =>
    source === undefined
      ? ''
      : idListOf(
          devices.filter((d) => isGranted(source, d)),
          devices,
          requested,
        );
  return { viaClaim: via(claim), viaDirectory: via(directory) };
}

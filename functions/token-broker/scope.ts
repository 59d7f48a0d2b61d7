/**
 * Per-device grants: parsing the caller's grant claim and deciding which
 * requested devices it may have. Pure: no AWS, no middy, no I/O.
 *
 * Deny by default: a missing claim, an empty claim and entries that are not
 * well formed grant nothing.
 */
import type { DeviceGrantsResult } from './contract.ts';
import { type DeviceKey, deviceId } from './device.ts';
import { ForbiddenDeviceError, type GrantsUnavailableError } from './errors.ts';
import { DEVICE_NAME_PATTERN, PRODUCT_KEY_PATTERN } from './request.ts';

/** What a caller may have. */
export interface Grants {
  /** `*`: every device. */
  readonly all: boolean;
  /** `productKey/*`: every device of these products. */
  readonly products: ReadonlySet<string>;
  /** `productKey/deviceName`: these devices, by {@link deviceId}. */
  readonly devices: ReadonlySet<string>;
  /** Entries that were not well formed and so grant nothing (kept for the log). */
  readonly ignored: number;
  /**
   * Set when a source could not be read: these grants may lack some, so a
   * device they do not cover is answered with this error (503), not a 403.
   */
  readonly unavailable?: GrantsUnavailableError;
  /** Where these grants came from, when from more than one place: for the audit line. */
  readonly sources?: { readonly claim: Grants; readonly directory: Grants };
}

/** Grants of a caller with none: nothing at all. */
export const NO_GRANTS: Grants = Object.freeze({
  all: false,
  products: new Set<string>(),
  devices: new Set<string>(),
  ignored: 0,
});

/**
 * Grants of a direct invoker: IAM already decided it may invoke the function,
 * so it may ask for any device, still within the deployment's allowlist.
 */
export const DIRECT_INVOKE_GRANTS: Grants = Object.freeze({
  all: true,
  products: new Set<string>(),
  devices: new Set<string>(),
  ignored: 0,
});

/**
 * Splits a claim value into entries. Accepts a JSON array (a JWT claim), a
 * space- or comma-separated string (Cognito custom attributes are strings), a
 * JSON array serialised into a string, and the `[a b]` form API Gateway's
 * HTTP API JWT authorizer flattens an array claim into. `separators`
 * splits the string forms.
 */
// Stryker disable next-line Regex: splitting on each separator adds '' entries, which are skipped.
export function claimEntries(claim: unknown, separators = /[\s,]+/): unknown[] {
  if (Array.isArray(claim)) return claim;
  if (typeof claim !== 'string') return [];
  const text = claim.trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    try {
      const parsed: unknown = JSON.parse(text);
      // Stryker disable next-line ConditionalExpression: text is `[…]`, so parsed JSON is an array.
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // Not JSON: the authorizer's `[a b]` flattening, handled below.
    }
    // Stryker disable next-line Regex: splitting on each separator adds '' entries, which are skipped.
    return text.slice(1, -1).split(separators);
  }
  // Stryker disable next-line Regex: splitting on each separator adds '' entries, which are skipped.
  return text.split(separators);
}

/** Parses the grant claim of a verified identity. Never throws. */
export function parseGrants(claim: unknown): Grants {
  let all = false;
  let ignored = 0;
  const products = new Set<string>();
  const devices = new Set<string>();
  for (const raw of claimEntries(claim)) {
    const entry = typeof raw === 'string' ? raw.trim() : undefined;
    if (entry === '') continue;
    if (entry === '*') {
      all = true;
      continue;
    }
    // The `??` fallbacks only serve a non-string entry, which the product key test ignores anyway.
    // Stryker disable next-line UnaryOperator: slash 1 leaves productKey '', which is ignored too.
    const slash = entry?.indexOf('/') ?? -1;
    // Stryker disable next-line StringLiteral: a non-string entry has slash -1: ignored, whatever this is.
    const productKey = entry?.slice(0, slash) ?? '';
    // Stryker disable next-line StringLiteral: a non-string entry has slash -1: ignored, whatever this is.
    const deviceName = entry?.slice(slash + 1) ?? '';
    // Stryker disable next-line EqualityOperator: slash 0 leaves productKey '', which the pattern refuses.
    if (slash < 0 || !PRODUCT_KEY_PATTERN.test(productKey)) {
      ignored += 1;
    } else if (deviceName === '*') {
      products.add(productKey);
    } else if (DEVICE_NAME_PATTERN.test(deviceName)) {
      devices.add(deviceId({ productKey, deviceName }));
    } else {
      ignored += 1;
    }
  }
  return { all, products, devices, ignored };
}

/** Whether `grants` cover `device`, ignoring the deployment's allowlist. */
export function isGranted(grants: Grants, device: DeviceKey): boolean {
  return (
    grants.all || grants.products.has(device.productKey) || grants.devices.has(deviceId(device))
  );
}

/**
 * The requested devices the caller may not have: outside its grants, or of a
 * product outside `allowedProductKeys` (undefined: no deployment-wide limit).
 */
export function refusedDevices(
  devices: readonly DeviceKey[],
  grants: Grants,
  allowedProductKeys: readonly string[] | undefined,
): DeviceKey[] {
  const allowed = allowedProductKeys === undefined ? undefined : new Set(allowedProductKeys);
  return devices.filter(
    (device) =>
      !isGranted(grants, device) || (allowed !== undefined && !allowed.has(device.productKey)),
  );
}

/**
 * Lets a request through only if every device is allowed; all or nothing, so
 * a caller never gets a partial answer that hides what it was refused.
 * @throws ForbiddenDeviceError listing every refused device.
 */
export function enforceScope(
  devices: readonly DeviceKey[],
  grants: Grants,
  allowedProductKeys: readonly string[] | undefined,
): void {
  const refused = refusedDevices(devices, grants, allowedProductKeys);
  if (refused.length === 0) return;
  // Outside the deployment's products is a lasting refusal, whatever the grants say.
  const outside = refused.some((d) => allowedProductKeys?.includes(d.productKey) === false);
  throw (outside ? undefined : grants.unavailable) ?? new ForbiddenDeviceError(refused);
}

/**
 * What `grants` let the caller ask for, within `allowedProductKeys`: the
 * answer of `GET /tokens/devices`, sorted.
 * @throws GrantsUnavailableError when a source of the grants could not be read.
 */
export function listedGrants(
  grants: Grants,
  allowedProductKeys: readonly string[] | undefined,
): DeviceGrantsResult {
  if (grants.unavailable !== undefined) throw grants.unavailable;
  const allowed = (productKey: string) =>
    allowedProductKeys === undefined || allowedProductKeys.includes(productKey);
  // `*` under an allowlist is exactly the allowed products.
  const limitedAll = grants.all && allowedProductKeys !== undefined;
  const products = limitedAll ? allowedProductKeys : [...grants.products].filter(allowed);
  const devices = [...grants.devices]
    .sort()
    .map((id) => {
      const slash = id.indexOf('/');
      return { productKey: id.slice(0, slash), deviceName: id.slice(slash + 1) };
    })
    .filter((d) => allowed(d.productKey) && !products.includes(d.productKey));
  return { all: grants.all && !limitedAll, products: [...products].sort(), devices };
}

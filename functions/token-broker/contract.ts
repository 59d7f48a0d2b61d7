/**
 * The wire contract of `POST /tokens` and of a direct invocation, shared by the server and both
 * clients: request and result types, the problem shape, the error codes, the device rules. It
 * imports nothing, so a client that imports it still ships on its own (the browser client is
 * bundled standalone; the Lambda client is copied by users together with this file). Every
 * error code is spelled here once; everything else refers to it.
 */

/**
 * The alias a deployed broker is invoked through, by API Gateway and by direct invokers
 * (`Qualifier`): each deploy points it at a new version, and a rollback points it back
 * (docs/operations.md#rollout-and-rollback).
 */
export const LIVE_ALIAS = 'live';

/** A device as the provider names it. */
export interface DeviceKey {
  /** Product key of the device. */
  readonly productKey: string;
  /** Device name within the product. */
  readonly deviceName: string;
}

/** Pattern a product key must match. */
export const PRODUCT_KEY_PATTERN = /^[A-Za-z0-9]{1,64}$/;

/** Pattern a device name must match. */
export const DEVICE_NAME_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** The pattern of each field of a {@link DeviceKey}, checked on both sides. */
export const DEVICE_PATTERNS = {
  productKey: PRODUCT_KEY_PATTERN,
  deviceName: DEVICE_NAME_PATTERN,
} as const;

/** One string per device, `productKey/deviceName`: a product key never holds a `/`. */
export function deviceId(device: DeviceKey): string {
  return `${device.productKey}/${device.deviceName}`;
}

/** The body of `POST /tokens`, and the event of a direct invocation. */
export interface TokenRequest {
  /** The devices asked for; the broker serves duplicates once, in first-seen order. */
  readonly devices: readonly DeviceKey[];
  /**
   * Log in again for these devices instead of serving a cached token, for a
   * player whose token was rejected. The broker limits how often it does so.
   * @default false
   */
  readonly refresh?: boolean;
}

/** A token handed to the caller. */
export interface IssuedToken extends DeviceKey {
  /** The provider's token for this device; a secret, never log it. */
  readonly visualToken: string;
  /** Expiry, ISO 8601. */
  readonly expiresAt: string;
  /** Whole seconds left until expiry, as of when it was handed out. */
  readonly expiresIn: number;
}

/**
 * The codes a request as a whole can fail with: `code` of a problem+json
 * answer, and the message prefix of a direct invocation's error.
 */
export const ERROR_CODES = [
  'INVALID_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN_DEVICE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'UPSTREAM_REJECTED',
  'UPSTREAM_ERROR',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_BUDGET_EXCEEDED',
  'CONFIGURATION_ERROR',
  'CREDENTIALS_UNAVAILABLE',
  'GRANTS_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

/** A stable error code of the public contract. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Each error code by name, so code refers to a code without spelling it again. */
export const ERROR_CODE = Object.fromEntries(ERROR_CODES.map((code) => [code, code])) as {
  readonly [K in ErrorCode]: K;
};

/**
 * The codes after which the same request may succeed later, unchanged: the provider or the
 * credentials store failed, was slow or is rationed. Retry them after a delay; every other code
 * needs a change first (a field, a token, a grant, a setting).
 */
export const RETRY_LATER_CODES: readonly ErrorCode[] = /* @__PURE__ */ (() => [
  // Marked pure, so that the Lambda bundle, which never reads it, drops it.
  ERROR_CODE.UPSTREAM_ERROR,
  ERROR_CODE.UPSTREAM_TIMEOUT,
  ERROR_CODE.UPSTREAM_UNAVAILABLE,
  ERROR_CODE.UPSTREAM_BUDGET_EXCEEDED,
  ERROR_CODE.CREDENTIALS_UNAVAILABLE,
  ERROR_CODE.GRANTS_UNAVAILABLE,
])();

/**
 * Codes the clients raise themselves, for a call that never reached the
 * broker or came back unreadable; never answered by the broker.
 */
export const CLIENT_FAILURE_CODES = {
  /** The browser client could not reach the broker (fetch failed). */
  network: 'NETWORK_ERROR',
  /** The answer was not the broker's: no JSON, or no problem code. */
  unexpectedResponse: 'UNEXPECTED_RESPONSE',
  /** Lambda refused the invocation (permissions, throttling, no such function). */
  invokeFailed: 'INVOKE_FAILED',
  /** The function failed with an error type that is not one of the broker's. */
  functionError: 'FUNCTION_ERROR',
  /** API Gateway's own 429 (stage throttling), which carries no problem code. */
  throttled: 'THROTTLED',
  /** A browser client call got no answer within its `timeoutMs`, retries included. */
  timeout: 'TIMEOUT',
  /** The browser client's `getBearerToken` threw or returned no token. */
  bearerToken: 'BEARER_TOKEN_UNAVAILABLE',
} as const;

/** A code of {@link CLIENT_FAILURE_CODES}. */
export type ClientFailureCode = (typeof CLIENT_FAILURE_CODES)[keyof typeof CLIENT_FAILURE_CODES];

/** Why a single device got no token while the request as a whole succeeded. */
export const DEVICE_FAILURE_CODES = {
  /** The upstream's answer did not include this device. */
  noToken: 'UPSTREAM_NO_TOKEN',
  /** The upstream's token for this device was unusable (bad expiry or subject). */
  invalidToken: 'UPSTREAM_INVALID_TOKEN',
  /** No route of `ACCOUNT_ROUTES` names this device's product, and there is no `*` route. */
  noRoute: 'NO_ACCOUNT_ROUTE',
} as const;

/** A per-device failure code, as found in `failures[]`. */
export type DeviceFailureCode = (typeof DEVICE_FAILURE_CODES)[keyof typeof DEVICE_FAILURE_CODES];

/**
 * With several upstream accounts, the problem codes a request's devices of
 * one account get in `failures[]` when only that account fails (its
 * upstream down, its circuit open, its secret unreadable): the others are
 * still served. With one account these fail the whole request instead.
 */
export const ACCOUNT_FAILURE_CODES = [
  ERROR_CODE.UPSTREAM_REJECTED,
  ERROR_CODE.UPSTREAM_ERROR,
  ERROR_CODE.UPSTREAM_TIMEOUT,
  ERROR_CODE.UPSTREAM_UNAVAILABLE,
  ERROR_CODE.UPSTREAM_BUDGET_EXCEEDED,
  ERROR_CODE.CONFIGURATION_ERROR,
  ERROR_CODE.CREDENTIALS_UNAVAILABLE,
] as const satisfies readonly ErrorCode[];

/** A problem code one account's devices can fail with in `failures[]`. */
export type AccountFailureCode = (typeof ACCOUNT_FAILURE_CODES)[number];

/** A device that got no token, while the request as a whole succeeded. */
export interface DeviceFailure extends DeviceKey {
  /** Stable reason code: a device's own, or its account's problem (several accounts only). */
  readonly code: DeviceFailureCode | AccountFailureCode;
  /** Human-readable reason. */
  readonly message: string;
}

/** The answer to a token request. */
export interface TokenResult {
  /** Tokens, in the order the devices were asked for (duplicates once). */
  readonly tokens: IssuedToken[];
  /** Devices that got no token. */
  readonly failures: DeviceFailure[];
}

/** An RFC 9457 problem, as the broker answers every HTTP error. */
export interface Problem {
  /** `urn:visual-token-broker:problem:<code in kebab case>`. */
  readonly type: string;
  /** Summary of the problem kind. */
  readonly title: string;
  /** HTTP status. */
  readonly status: number;
  /** What went wrong, for people; generic for 5xx, whose specifics go to the log. */
  readonly detail: string;
  /** Stable problem code. */
  readonly code: ErrorCode;
  /** The broker's request id; quote it to operators. */
  readonly requestId: string;
  /** With `INVALID_REQUEST`: the JSON path of the offending field. */
  readonly field?: string;
  /** With `FORBIDDEN_DEVICE`: the devices refused. */
  readonly devices?: readonly DeviceKey[];
}

/** The problem `type` URI of a code. */
export const problemType = (code: ErrorCode): string =>
  `urn:visual-token-broker:problem:${code.toLowerCase().replaceAll('_', '-')}`;

/**
 * The `errorType` (the error's class name) a direct invocation fails with for
 * `code`, by one rule: the code in PascalCase, with `Error` appended unless it
 * already ends so. `UPSTREAM_TIMEOUT` → `UpstreamTimeoutError`,
 * `UPSTREAM_ERROR` → `UpstreamError`.
 */
export function errorTypeOf(code: ErrorCode): string {
  const pascal = code
    .split('_')
    .map((word) => word[0] + word.slice(1).toLowerCase())
    .join('');
  return pascal.endsWith('Error') ? pascal : `${pascal}Error`;
}

/** The code of a direct invocation's `errorType`, or undefined when it is not the broker's. */
export function errorCodeOfType(errorType: string): ErrorCode | undefined {
  return ERROR_CODES.find((code) => errorTypeOf(code) === errorType);
}

/**
 * Where a direct invocation's error names its wait: Lambda hands a direct invoker no headers,
 * so when an HTTP answer would carry `Retry-After` (`UPSTREAM_UNAVAILABLE`,
 * `UPSTREAM_BUDGET_EXCEEDED`, `GRANTS_UNAVAILABLE`), the `errorMessage` ends with
 * `[retryAfterSeconds=<n>]`, the same whole seconds.
 */
export const INVOKE_RETRY_AFTER_FIELD = 'retryAfterSeconds';

/** A direct invocation's `errorMessage`: `<code>: <detail>`, then the wait field if any. */
export const invokeErrorMessage = (code: ErrorCode, detail: string, wait?: string): string =>
  `${code}: ${detail}${wait === undefined ? '' : ` [${INVOKE_RETRY_AFTER_FIELD}=${wait}]`}`;

/** The wait, in whole seconds, that a direct invocation's `errorMessage` names, if any. */
export function retryAfterSecondsOf(errorMessage: string): number | undefined {
  const wait = / \[retryAfterSeconds=(\d{1,9})\]$/.exec(errorMessage)?.[1];
  return wait === undefined ? undefined : Number(wait);
}

/** The path of the token request: `POST` it. */
export const TOKENS_PATH = '/tokens';

/** The path of the caller's effective grants: `GET` it. */
export const DEVICES_PATH = '/tokens/devices';

/**
 * The answer to `GET /tokens/devices`: what the caller may ask tokens for,
 * claim and directory grants together, within the deployment's product
 * allowlist. A frontend builds its camera list from `devices`; a pattern
 * (`all`, `products`) names no device, so the app lists those itself.
 */
export interface DeviceGrantsResult {
  /** `*` is granted: any device, of any allowed product. */
  readonly all: boolean;
  /** Products granted whole (`productKey/*`), sorted. */
  readonly products: readonly string[];
  /** Devices granted one by one, sorted by `productKey/deviceName`. */
  readonly devices: readonly DeviceKey[];
}

/**
 * The grants directory's item layout, shared by the broker (which only
 * reads it) and `GrantsClient` (which writes it): one item per principal,
 * its entries one string set, changed with `ADD`/`DELETE`, so concurrent
 * writers never lose an entry (docs/grants.md).
 */
export const GRANTS_TABLE_LAYOUT = {
  /** Partition key (S): a principal, `user:<sub>` or `group:<name>`. */
  partitionKey: 'principal',
  /** The principal's grant entries (SS), as in the grant claim. */
  entries: 'grants',
  /** When the item was last changed (S, ISO 8601). */
  updatedAt: 'updatedAt',
} as const;

/** The kinds of principal the directory knows, as their key prefixes. */
export const PRINCIPAL_PREFIXES = { user: 'user:', group: 'group:' } as const;

/**
 * Pattern of a principal: `user:` or `group:` and 1–256 characters without
 * whitespace (a JWT `sub`, a Cognito group name; API Gateway's `[a b]`
 * flattening of a group array would split a name with a space anyway).
 */
export const PRINCIPAL_PATTERN = /^(user|group):\S{1,256}$/;

/**
 * Whether `entry` is a well-formed grant entry: `*`, `productKey/*` or
 * `productKey/deviceName`. The broker ignores any other entry (it grants
 * nothing), so writers refuse them instead of storing them.
 */
export function isGrantEntry(entry: string): boolean {
  if (entry === '*') return true;
  const slash = entry.indexOf('/');
  if (slash < 0 || !PRODUCT_KEY_PATTERN.test(entry.slice(0, slash))) return false;
  const rest = entry.slice(slash + 1);
  return rest === '*' || DEVICE_NAME_PATTERN.test(rest);
}

/**
 * The error catalogue and the typed errors built from it. Each code of the
 * wire contract has one entry here, with its HTTP status, title and the
 * detail a caller is told when the message is not public; the compiler
 * refuses a code without an entry. When each code happens and what to do
 * is in error-docs.ts, which the docs and OpenAPI read and the Lambda
 * bundle leaves out. The classes, the
 * problem mapping (`problem.ts`), the OpenAPI problems and the docs table all
 * read this catalogue.
 *
 * Each class's `name` is its class name so that a direct invoker (or a Step
 * Functions `Catch`) can tell them apart. The name is a string literal, not
 * `new.target.name`, so it survives minification without esbuild's
 * `keepNames` (which costs bundle bytes and start-up time); a test pins each
 * literal to the contract's `errorTypeOf(code)`.
 */
import {
  DEVICE_FAILURE_CODES,
  type DeviceFailureCode,
  type DeviceKey,
  deviceId,
  ERROR_CODE,
  type ErrorCode,
} from './contract.ts';

export {
  DEVICE_FAILURE_CODES,
  type DeviceFailureCode,
  ERROR_CODE,
  ERROR_CODES,
  type ErrorCode,
} from './contract.ts';

/** What the catalogue says about a code a whole request fails with. */
export interface ProblemEntry {
  /** Answered as a problem+json response (or a direct invocation's error). */
  readonly kind: 'problem';
  /** HTTP status. */
  readonly status: number;
  /** The problem's `title`. */
  readonly title: string;
  /**
   * The `detail` a caller is told instead of the error's message, which then
   * goes to the log only. Set for every 5xx, and wherever a message may name
   * internals.
   */
  readonly publicDetail?: string;
}

/** What the catalogue says about a code of one device in `failures[]`. */
export interface DeviceFailureEntry {
  /** Listed in a 200 answer's `failures[]`; the request as a whole succeeded. */
  readonly kind: 'device-failure';
  /** Short summary. */
  readonly title: string;
}

/**
 * The catalogue's shape: an entry for every code of the contract, of the
 * right kind, and nothing else.
 */
export type ErrorCatalogue = { readonly [K in ErrorCode]: ProblemEntry } & {
  readonly [K in DeviceFailureCode]: DeviceFailureEntry;
};

/** Every code the broker answers with, and what it means. */
export const ERROR_CATALOGUE = {
  INVALID_REQUEST: {
    kind: 'problem',
    status: 400,
    title: 'Invalid request',
  },
  UNAUTHENTICATED: {
    kind: 'problem',
    status: 401,
    title: 'Unauthenticated',
  },
  FORBIDDEN_DEVICE: {
    kind: 'problem',
    status: 403,
    title: 'Forbidden device',
  },
  NOT_FOUND: {
    kind: 'problem',
    status: 404,
    title: 'Not found',
  },
  METHOD_NOT_ALLOWED: {
    kind: 'problem',
    status: 405,
    title: 'Method not allowed',
  },
  PAYLOAD_TOO_LARGE: {
    kind: 'problem',
    status: 413,
    title: 'Payload too large',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    kind: 'problem',
    status: 415,
    title: 'Unsupported media type',
  },
  UPSTREAM_REJECTED: {
    kind: 'problem',
    status: 502,
    title: 'Upstream rejected the login',
    publicDetail: 'The provider refused the broker’s login. Operators: see the broker’s logs.',
  },
  UPSTREAM_ERROR: {
    kind: 'problem',
    status: 502,
    title: 'Upstream error',
    publicDetail: 'The provider answered with an error or an unusable response. Retry later.',
  },
  UPSTREAM_TIMEOUT: {
    kind: 'problem',
    status: 504,
    title: 'Upstream timeout',
    publicDetail: 'The provider did not answer in time. Retry later.',
  },
  UPSTREAM_UNAVAILABLE: {
    kind: 'problem',
    status: 503,
    title: 'Upstream unavailable',
    publicDetail:
      'The provider is failing; the broker is not calling it for now. Retry after the Retry-After delay.',
  },
  UPSTREAM_BUDGET_EXCEEDED: {
    kind: 'problem',
    status: 429,
    title: 'Upstream login budget exceeded',
    publicDetail:
      'The broker has spent its hourly budget of provider logins. Retry after the Retry-After delay.',
  },
  CONFIGURATION_ERROR: {
    kind: 'problem',
    status: 500,
    title: 'Configuration error',
    publicDetail: 'The broker is misconfigured. Operators: see the broker’s logs.',
  },
  CREDENTIALS_UNAVAILABLE: {
    kind: 'problem',
    status: 503,
    title: 'Credentials unavailable',
    publicDetail: 'The broker could not read its credentials. Retry later.',
  },
  INTERNAL_ERROR: {
    kind: 'problem',
    status: 500,
    title: 'Internal error',
    publicDetail: 'An unexpected error occurred. Operators: see the broker’s logs.',
  },
  [DEVICE_FAILURE_CODES.noToken]: {
    kind: 'device-failure',
    title: 'No token for the device',
  },
  [DEVICE_FAILURE_CODES.invalidToken]: {
    kind: 'device-failure',
    title: 'Unusable token for the device',
  },
} as const satisfies ErrorCatalogue;

/** The catalogue entry of a problem code. */
export const problemEntry = (code: ErrorCode): ProblemEntry => ERROR_CATALOGUE[code];

/** Options shared by every broker error. */
export interface BrokerErrorOptions {
  /** The foreign error this one wraps; kept for logs, never serialised. */
  readonly cause?: unknown;
}

/** Base class of every error the broker raises on purpose. */
export abstract class BrokerError extends Error {
  /** Stable machine-readable code, part of the public contract. */
  readonly code: ErrorCode;
  /** HTTP status the error maps to, from the catalogue. */
  readonly status: number;
  /** Short human-readable summary of the error kind (RFC 9457 `title`), from the catalogue. */
  readonly title: string;
  /** The class name, spelled out: part of the contract with direct invokers. */
  abstract override readonly name: string;

  constructor(code: ErrorCode, message: string, options: BrokerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const entry = problemEntry(code);
    this.code = code;
    this.status = entry.status;
    this.title = entry.title;
  }
}

/** The request body or event does not match the contract. */
export class InvalidRequestError extends BrokerError {
  override readonly name = 'InvalidRequestError';
  /** JSON path of the offending field, e.g. `devices[3].deviceName`. */
  readonly field: string;

  constructor(field: string, message: string, options?: BrokerErrorOptions) {
    super(ERROR_CODE.INVALID_REQUEST, `${field}: ${message}`, options);
    this.field = field;
  }
}

/** The caller presented no valid identity. */
export class UnauthenticatedError extends BrokerError {
  override readonly name = 'UnauthenticatedError';

  constructor(message: string, options?: BrokerErrorOptions) {
    super(ERROR_CODE.UNAUTHENTICATED, message, options);
  }
}

/** The caller asked for devices outside its grants. */
export class ForbiddenDeviceError extends BrokerError {
  override readonly name = 'ForbiddenDeviceError';
  /** The devices refused. */
  readonly devices: readonly DeviceKey[];

  constructor(devices: readonly DeviceKey[], options?: BrokerErrorOptions) {
    super(
      ERROR_CODE.FORBIDDEN_DEVICE,
      `Not allowed to request ${devices.length} device(s): ${devices.map(deviceId).join(', ')}`,
      options,
    );
    this.devices = devices;
  }
}

/** No such route (local server only; API Gateway answers this itself). */
export class NotFoundError extends BrokerError {
  override readonly name = 'NotFoundError';

  constructor(message: string, options?: BrokerErrorOptions) {
    super(ERROR_CODE.NOT_FOUND, message, options);
  }
}

/** The route exists but not for this HTTP method. */
export class MethodNotAllowedError extends BrokerError {
  override readonly name = 'MethodNotAllowedError';

  constructor(message: string, options?: BrokerErrorOptions) {
    super(ERROR_CODE.METHOD_NOT_ALLOWED, message, options);
  }
}

/** The request body exceeds the size limit. */
export class PayloadTooLargeError extends BrokerError {
  override readonly name = 'PayloadTooLargeError';

  constructor(message: string, options?: BrokerErrorOptions) {
    super(ERROR_CODE.PAYLOAD_TOO_LARGE, message, options);
  }
}

/** The request body is not JSON. */
export class UnsupportedMediaTypeError extends BrokerError {
  override readonly name = 'UnsupportedMediaTypeError';

  constructor(message: string, options?: BrokerErrorOptions) {
    super(ERROR_CODE.UNSUPPORTED_MEDIA_TYPE, message, options);
  }
}

/** The upstream answered `success:false` or refused the credentials. */
export class UpstreamRejectedError extends BrokerError {
  override readonly name = 'UpstreamRejectedError';

  constructor(message: string, options?: BrokerErrorOptions) {
    super(ERROR_CODE.UPSTREAM_REJECTED, message, options);
  }
}

/** Options of {@link UpstreamError}. */
export interface UpstreamErrorOptions extends BrokerErrorOptions {
  /**
   * The failure may pass by itself (network error, 5xx, 429), so a retry is safe.
   * @default false
   */
  readonly transient?: boolean;
  /** How long the upstream asked to wait (429/503 `Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number;
}

/** The upstream failed or answered something the broker cannot use. */
export class UpstreamError extends BrokerError {
  override readonly name = 'UpstreamError';
  /** Whether a retry is safe and may succeed. */
  readonly transient: boolean;
  /** The wait the upstream asked for, in milliseconds, if it named one. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: UpstreamErrorOptions = {}) {
    super(ERROR_CODE.UPSTREAM_ERROR, message, options);
    this.transient = options.transient ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The circuit breaker is open after repeated upstream failures: the broker
 * answers at once instead of adding load to a failing upstream.
 */
export class UpstreamUnavailableError extends BrokerError {
  override readonly name = 'UpstreamUnavailableError';
  /** Whole seconds until the broker will try the upstream again (HTTP `Retry-After`). */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options?: BrokerErrorOptions) {
    super(ERROR_CODE.UPSTREAM_UNAVAILABLE, message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The fleet-wide hourly budget of upstream logins is spent and the hard cap
 * is enforced: a miss is refused, while cached tokens are still served.
 */
export class UpstreamBudgetExceededError extends BrokerError {
  override readonly name = 'UpstreamBudgetExceededError';
  /** Whole seconds until the budget renews (HTTP `Retry-After`). */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options?: BrokerErrorOptions) {
    super(ERROR_CODE.UPSTREAM_BUDGET_EXCEEDED, message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The upstream did not answer within the deadline. */
export class UpstreamTimeoutError extends BrokerError {
  override readonly name = 'UpstreamTimeoutError';

  constructor(message: string, options?: BrokerErrorOptions) {
    super(ERROR_CODE.UPSTREAM_TIMEOUT, message, options);
  }
}

/** The deployment is misconfigured (bad env var, missing or malformed secret). */
export class ConfigurationError extends BrokerError {
  override readonly name = 'ConfigurationError';

  constructor(message: string, options?: BrokerErrorOptions) {
    super(ERROR_CODE.CONFIGURATION_ERROR, message, options);
  }
}

/** The credentials store could not be reached; a retry may succeed. */
export class CredentialsUnavailableError extends BrokerError {
  override readonly name = 'CredentialsUnavailableError';

  constructor(message: string, options?: BrokerErrorOptions) {
    super(ERROR_CODE.CREDENTIALS_UNAVAILABLE, message, options);
  }
}

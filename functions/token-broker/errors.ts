/**
 * The typed errors, built from the error catalogue (error-catalogue.ts):
 * each takes its status and title from its code's entry.
 *
 * Each class's `name` is its class name so that a direct invoker (or a Step
 * Functions `Catch`) can tell them apart. The name is a string literal, not
 * `new.target.name`, so it survives minification without esbuild's
 * `keepNames` (which costs bundle bytes and start-up time); a test pins each
 * literal to the contract's `errorTypeOf(code)`.
 */
import { type DeviceKey, deviceId, ERROR_CODE, type ErrorCode } from './contract.ts';
import { problemEntry } from './error-catalogue.ts';

export {
  DEVICE_FAILURE_CODES,
  type DeviceFailureCode,
  ERROR_CODE,
  ERROR_CODES,
  type ErrorCode,
} from './contract.ts';

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

/**
 * A broker error that carries only a message: most codes need nothing more.
 * `name` is passed as a string literal so it survives minification.
 */
function plainError<const N extends string>(code: ErrorCode, name: N) {
  return class extends BrokerError {
    override readonly name: N = name;

    constructor(message: string, options?: BrokerErrorOptions) {
      super(code, message, options);
    }
  };
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
export const UnauthenticatedError = plainError(ERROR_CODE.UNAUTHENTICATED, 'UnauthenticatedError');
/** An instance of {@link UnauthenticatedError}. */
export type UnauthenticatedError = InstanceType<typeof UnauthenticatedError>;

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
export const NotFoundError = plainError(ERROR_CODE.NOT_FOUND, 'NotFoundError');
/** An instance of {@link NotFoundError}. */
export type NotFoundError = InstanceType<typeof NotFoundError>;

/** The route exists but not for this HTTP method. */
export class MethodNotAllowedError extends BrokerError {
  override readonly name = 'MethodNotAllowedError';
  /** The method the route takes (HTTP `Allow`). */
  readonly allow: string;

  constructor(message: string, allow = 'POST', options?: BrokerErrorOptions) {
    super(ERROR_CODE.METHOD_NOT_ALLOWED, message, options);
    this.allow = allow;
  }
}

/** The request body exceeds the size limit. */
export const PayloadTooLargeError = plainError(
  ERROR_CODE.PAYLOAD_TOO_LARGE,
  'PayloadTooLargeError',
);
/** An instance of {@link PayloadTooLargeError}. */
export type PayloadTooLargeError = InstanceType<typeof PayloadTooLargeError>;

/** The request body is not JSON. */
export const UnsupportedMediaTypeError = plainError(
  ERROR_CODE.UNSUPPORTED_MEDIA_TYPE,
  'UnsupportedMediaTypeError',
);
/** An instance of {@link UnsupportedMediaTypeError}. */
export type UnsupportedMediaTypeError = InstanceType<typeof UnsupportedMediaTypeError>;

/** The upstream answered `success:false` or refused the credentials. */
export const UpstreamRejectedError = plainError(
  ERROR_CODE.UPSTREAM_REJECTED,
  'UpstreamRejectedError',
);
/** An instance of {@link UpstreamRejectedError}. */
export type UpstreamRejectedError = InstanceType<typeof UpstreamRejectedError>;

/** Options of {@link UpstreamError}. */
export interface UpstreamErrorOptions extends BrokerErrorOptions {
  /**
   * The failure may pass by itself (network error, 5xx, 429), so a retry is safe.
   * @default false
   */
  readonly transient?: boolean;
  /** How long the upstream asked to wait (429/503 `Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number;
  /**
   * The answer says the request was wrong (a 4xx naming its devices), not
   * that the upstream is unwell: it never counts towards opening a circuit,
   * so one caller's bad devices cannot open it for everyone.
   * @default false
   */
  readonly blamesRequest?: boolean;
}

/** The upstream failed or answered something the broker cannot use. */
export class UpstreamError extends BrokerError {
  override readonly name = 'UpstreamError';
  /** Whether a retry is safe and may succeed. */
  readonly transient: boolean;
  /** The wait the upstream asked for, in milliseconds, if it named one. */
  readonly retryAfterMs: number | undefined;
  /** See {@link UpstreamErrorOptions.blamesRequest}. */
  readonly blamesRequest: boolean;

  constructor(message: string, options: UpstreamErrorOptions = {}) {
    super(ERROR_CODE.UPSTREAM_ERROR, message, options);
    this.transient = options.transient ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.blamesRequest = options.blamesRequest ?? false;
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
export const UpstreamTimeoutError = plainError(ERROR_CODE.UPSTREAM_TIMEOUT, 'UpstreamTimeoutError');
/** An instance of {@link UpstreamTimeoutError}. */
export type UpstreamTimeoutError = InstanceType<typeof UpstreamTimeoutError>;

/** The deployment is misconfigured (bad env var, missing or malformed secret). */
export const ConfigurationError = plainError(ERROR_CODE.CONFIGURATION_ERROR, 'ConfigurationError');
/** An instance of {@link ConfigurationError}. */
export type ConfigurationError = InstanceType<typeof ConfigurationError>;

/** The credentials store could not be reached; a retry may succeed. */
export const CredentialsUnavailableError = plainError(
  ERROR_CODE.CREDENTIALS_UNAVAILABLE,
  'CredentialsUnavailableError',
);
/** An instance of {@link CredentialsUnavailableError}. */
export type CredentialsUnavailableError = InstanceType<typeof CredentialsUnavailableError>;

/**
 * The grants directory could not be read, and the claim grants alone do not
 * cover the request: failing closed, since a directory fault never grants.
 */
export class GrantsUnavailableError extends BrokerError {
  override readonly name = 'GrantsUnavailableError';
  /** Whole seconds after which a retry may find the directory back (HTTP `Retry-After`). */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options?: BrokerErrorOptions) {
    super(ERROR_CODE.GRANTS_UNAVAILABLE, message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

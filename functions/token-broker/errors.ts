/**
 * Typed errors of the broker. Each class carries a stable `code` and the HTTP
 * status it maps to; `name` is the class name so that a direct invoker (or a
 * Step Functions `Catch`) can tell them apart. The name is a string literal,
 * not `new.target.name`, so it survives minification without esbuild's
 * `keepNames` (which costs bundle bytes and start-up time). Mapping to a
 * response happens in one place only: `handler.ts`.
 */
import { type DeviceKey, deviceId } from './device.ts';

/** Options shared by every broker error. */
export interface BrokerErrorOptions {
  /** The foreign error this one wraps; kept for logs, never serialised. */
  readonly cause?: unknown;
}

/** Base class of every error the broker raises on purpose. */
export abstract class BrokerError extends Error {
  /** Stable machine-readable code, part of the public contract. */
  abstract readonly code: string;
  /** HTTP status the error maps to. */
  abstract readonly status: number;
  /** Short human-readable summary of the error kind (RFC 9457 `title`). */
  abstract readonly title: string;
  /** The class name, spelled out: part of the contract with direct invokers. */
  abstract override readonly name: string;

  constructor(message: string, options: BrokerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** The request body or event does not match the contract. */
export class InvalidRequestError extends BrokerError {
  override readonly name = 'InvalidRequestError';
  readonly code = 'INVALID_REQUEST';
  readonly status = 400;
  readonly title = 'Invalid request';
  /** JSON path of the offending field, e.g. `devices[3].deviceName`. */
  readonly field: string;

  constructor(field: string, message: string, options?: BrokerErrorOptions) {
    super(`${field}: ${message}`, options);
    this.field = field;
  }
}

/** The caller presented no valid identity. */
export class UnauthenticatedError extends BrokerError {
  override readonly name = 'UnauthenticatedError';
  readonly code = 'UNAUTHENTICATED';
  readonly status = 401;
  readonly title = 'Unauthenticated';
}

/** The caller asked for devices outside its grants. */
export class ForbiddenDeviceError extends BrokerError {
  override readonly name = 'ForbiddenDeviceError';
  readonly code = 'FORBIDDEN_DEVICE';
  readonly status = 403;
  readonly title = 'Forbidden device';
  /** The devices refused. */
  readonly devices: readonly DeviceKey[];

  constructor(devices: readonly DeviceKey[], options?: BrokerErrorOptions) {
    super(
      `Not allowed to request ${devices.length} device(s): ${devices.map(deviceId).join(', ')}`,
      options,
    );
    this.devices = devices;
  }
}

/** No such route (local server only; API Gateway answers this itself). */
export class NotFoundError extends BrokerError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
  readonly status = 404;
  readonly title = 'Not found';
}

/** The route exists but not for this HTTP method. */
export class MethodNotAllowedError extends BrokerError {
  override readonly name = 'MethodNotAllowedError';
  readonly code = 'METHOD_NOT_ALLOWED';
  readonly status = 405;
  readonly title = 'Method not allowed';
}

/** The request body exceeds the size limit. */
export class PayloadTooLargeError extends BrokerError {
  override readonly name = 'PayloadTooLargeError';
  readonly code = 'PAYLOAD_TOO_LARGE';
  readonly status = 413;
  readonly title = 'Payload too large';
}

/** The request body is not JSON. */
export class UnsupportedMediaTypeError extends BrokerError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly status = 415;
  readonly title = 'Unsupported media type';
}

/** The upstream answered `success:false` or refused the credentials. */
export class UpstreamRejectedError extends BrokerError {
  override readonly name = 'UpstreamRejectedError';
  readonly code = 'UPSTREAM_REJECTED';
  readonly status = 502;
  readonly title = 'Upstream rejected the login';
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
  readonly code = 'UPSTREAM_ERROR';
  readonly status = 502;
  readonly title = 'Upstream error';
  /** Whether a retry is safe and may succeed. */
  readonly transient: boolean;
  /** The wait the upstream asked for, in milliseconds, if it named one. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: UpstreamErrorOptions = {}) {
    super(message, options);
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
  readonly code = 'UPSTREAM_UNAVAILABLE';
  readonly status = 503;
  readonly title = 'Upstream unavailable';
  /** Whole seconds until the broker will try the upstream again (HTTP `Retry-After`). */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options?: BrokerErrorOptions) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The upstream did not answer within the deadline. */
export class UpstreamTimeoutError extends BrokerError {
  override readonly name = 'UpstreamTimeoutError';
  readonly code = 'UPSTREAM_TIMEOUT';
  readonly status = 504;
  readonly title = 'Upstream timeout';
}

/** The deployment is misconfigured (bad env var, missing or malformed secret). */
export class ConfigurationError extends BrokerError {
  override readonly name = 'ConfigurationError';
  readonly code = 'CONFIGURATION_ERROR';
  readonly status = 500;
  readonly title = 'Configuration error';
}

/** The credentials store could not be reached; a retry may succeed. */
export class CredentialsUnavailableError extends BrokerError {
  override readonly name = 'CredentialsUnavailableError';
  readonly code = 'CREDENTIALS_UNAVAILABLE';
  readonly status = 503;
  readonly title = 'Credentials unavailable';
}

/** Every error code the broker can answer with, for documentation and clients. */
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
  'CONFIGURATION_ERROR',
  'CREDENTIALS_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

/** A stable error code of the public contract. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Why a single device got no token while the request as a whole succeeded. */
export const DEVICE_FAILURE_CODES = {
  /** The upstream's answer did not include this device. */
  noToken: 'UPSTREAM_NO_TOKEN',
  /** The upstream's token for this device was unusable (bad expiry or subject). */
  invalidToken: 'UPSTREAM_INVALID_TOKEN',
} as const;

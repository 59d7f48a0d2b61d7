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

/** A problem entry; a function, so that the bundle spells `kind` once. */
const problem = (status: number, title: string, publicDetail?: string): ProblemEntry =>
  publicDetail === undefined
    ? { kind: 'problem', status, title }
    : { kind: 'problem', status, title, publicDetail };

/** Every code the broker answers with, and what it means. */
export const ERROR_CATALOGUE = {
  INVALID_REQUEST: problem(400, 'Invalid request'),
  UNAUTHENTICATED: problem(401, 'Unauthenticated'),
  FORBIDDEN_DEVICE: problem(403, 'Forbidden device'),
  NOT_FOUND: problem(404, 'Not found'),
  METHOD_NOT_ALLOWED: problem(405, 'Method not allowed'),
  PAYLOAD_TOO_LARGE: problem(413, 'Payload too large'),
  UNSUPPORTED_MEDIA_TYPE: problem(415, 'Unsupported media type'),
  UPSTREAM_REJECTED: problem(
    502,
    'Upstream rejected the login',
    'The provider refused the broker’s login. Operators: see the broker’s logs.',
  ),
  UPSTREAM_ERROR: problem(
    502,
    'Upstream error',
    'The provider answered with an error or an unusable response. Retry later.',
  ),
  UPSTREAM_TIMEOUT: problem(
    504,
    'Upstream timeout',
    'The provider did not answer in time. Retry later.',
  ),
  UPSTREAM_UNAVAILABLE: problem(
    503,
    'Upstream unavailable',
    'The provider is failing; the broker is not calling it for now. Retry after the Retry-After delay.',
  ),
  UPSTREAM_BUDGET_EXCEEDED: problem(
    429,
    'Upstream login budget exceeded',
    'The broker has spent its hourly budget of provider logins. Retry after the Retry-After delay.',
  ),
  CONFIGURATION_ERROR: problem(
    500,
    'Configuration error',
    'The broker is misconfigured. Operators: see the broker’s logs.',
  ),
  CREDENTIALS_UNAVAILABLE: problem(
    503,
    'Credentials unavailable',
    'The broker could not read its credentials. Retry later.',
  ),
  GRANTS_UNAVAILABLE: problem(
    503,
    'Grants unavailable',
    'The broker could not read the grants directory. Retry after the Retry-After delay.',
  ),
  INTERNAL_ERROR: problem(
    500,
    'Internal error',
    'An unexpected error occurred. Operators: see the broker’s logs.',
  ),
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
export const MethodNotAllowedError = plainError(
  ERROR_CODE.METHOD_NOT_ALLOWED,
  'MethodNotAllowedError',
);
/** An instance of {@link MethodNotAllowedError}. */
export type MethodNotAllowedError = InstanceType<typeof MethodNotAllowedError>;

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

/**
 * The error catalogue: each code of the wire contract has one entry here,
 * with its HTTP status, title and the detail a caller is told when the
 * message is not public; the compiler refuses a code without an entry.
 * When each code happens and what to do is in error-docs.ts, which the docs
 * and OpenAPI read and the Lambda bundle leaves out. The error classes
 * (errors.ts), the problem mapping (problem.ts), the OpenAPI problems and
 * the docs table all read this catalogue.
 */
import { DEVICE_FAILURE_CODES, type DeviceFailureCode, type ErrorCode } from './contract.ts';

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
  // The codes with a wait say only "Retry later": the wait is in an HTTP
  // answer's Retry-After, a direct invocation's message (contract.ts
  // INVOKE_RETRY_AFTER_FIELD) and nowhere in a device's failures[] entry, so
  // no detail may send its reader to a header it does not get.
  UPSTREAM_UNAVAILABLE: problem(
    503,
    'Upstream unavailable',
    'The provider is failing; the broker is not calling it for now. Retry later.',
  ),
  UPSTREAM_BUDGET_EXCEEDED: problem(
    429,
    'Upstream login budget exceeded',
    'The broker has spent its hourly budget of provider logins. Retry later.',
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
    'The broker could not read the grants directory. Retry later.',
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
  [DEVICE_FAILURE_CODES.noRoute]: {
    kind: 'device-failure',
    title: 'No account serves the device’s product',
  },
} as const satisfies ErrorCatalogue;

/** The catalogue entry of a problem code. */
export const problemEntry = (code: ErrorCode): ProblemEntry => ERROR_CATALOGUE[code];

/**
 * When each error code happens and what to do about it: the prose of the
 * error catalogue (errors.ts), kept out of it so the Lambda bundle, which
 * never shows it, does not carry it. The OpenAPI document and the docs'
 * errors table read it; the compiler refuses a code without an entry.
 */
import { DEVICE_FAILURE_CODES, type DeviceFailureCode, type ErrorCode } from './contract.ts';

/** The prose of one code. */
export interface ErrorDoc {
  /** When the code is answered. */
  readonly description: string;
  /** What the caller (or operator) should do about it. */
  readonly action: string;
}

/** The prose of every code of the contract. */
export const ERROR_DOCS = {
  INVALID_REQUEST: {
    description: 'The body breaks a rule; `field` names it.',
    action: 'Fix the field named in `field`; retrying unchanged fails again.',
  },
  UNAUTHENTICATED: {
    description: 'No valid bearer token.',
    action: 'Get a fresh access token from the identity provider and retry.',
  },
  FORBIDDEN_DEVICE: {
    description: 'Devices outside the caller’s grants; `devices` lists them.',
    action: 'Ask only for granted devices, or have the grant claim extended.',
  },
  NOT_FOUND: {
    description: 'No such route (local server; API Gateway answers this itself).',
    action: 'Use `POST /tokens`.',
  },
  METHOD_NOT_ALLOWED: {
    description: 'The route exists, but only for POST.',
    action: 'Use `POST`; the `Allow` header says so.',
  },
  PAYLOAD_TOO_LARGE: {
    description: 'The body is over the size limit.',
    action: 'Ask for fewer devices per request.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    description: 'The Content-Type is not JSON.',
    action: 'Send `Content-Type: application/json`.',
  },
  UPSTREAM_REJECTED: {
    description: 'The provider said `success:false`, or its gateway refused the credentials.',
    action: 'Operators: check the credentials in the secret; retrying does not help until then.',
  },
  UPSTREAM_ERROR: {
    description: 'The provider failed or answered something unusable.',
    action: 'Retry later, with backoff.',
  },
  UPSTREAM_TIMEOUT: {
    description: 'The provider did not answer in time.',
    action: 'Retry later, with backoff.',
  },
  UPSTREAM_UNAVAILABLE: {
    description:
      'The provider failed repeatedly and the broker is not calling it for a while; see `Retry-After`.',
    action:
      'Retry after the `Retry-After` delay (a direct invocation: the message’s `[retryAfterSeconds=…]`).',
  },
  UPSTREAM_BUDGET_EXCEEDED: {
    description:
      'The fleet-wide hourly cap on provider logins is reached (when enforced); cached tokens are still served.',
    action:
      'Retry after the `Retry-After` delay (a direct invocation: the message’s `[retryAfterSeconds=…]`). Operators: raise the budget or find what logs in so often.',
  },
  CONFIGURATION_ERROR: {
    description: 'A bad setting or secret; the broker’s log says which.',
    action: 'Operators: fix the setting or secret the log names.',
  },
  CREDENTIALS_UNAVAILABLE: {
    description: 'Secrets Manager could not be reached; a retry may succeed.',
    action: 'Retry later, with backoff.',
  },
  GRANTS_UNAVAILABLE: {
    description:
      'The grants directory could not be read, and the claim grants do not cover every device asked for; see `Retry-After`.',
    action:
      'Retry after the `Retry-After` delay (a direct invocation: the message’s `[retryAfterSeconds=…]`). Operators: check the grants table and its metrics.',
  },
  INTERNAL_ERROR: {
    description: 'A bug; the broker’s log has the detail.',
    action: 'Report it with the `requestId`.',
  },
  [DEVICE_FAILURE_CODES.noToken]: {
    description: 'The provider returned no token for the device.',
    action: 'Check that the device exists under that product key; it is asked for again next time.',
  },
  [DEVICE_FAILURE_CODES.invalidToken]: {
    description:
      'The provider’s token was unusable: no numeric expiry, already expired or more than 30 days away, over 8 KiB or not printable ASCII, or naming another device.',
    action: 'Retry later; if it persists, operators: see the broker’s logs.',
  },
  [DEVICE_FAILURE_CODES.noRoute]: {
    description:
      'Several upstream accounts are configured, and `ACCOUNT_ROUTES` routes this product to none of them and has no `*` route. No upstream call was made.',
    action:
      'Operators: add a route for the product key (docs/deploy.md, “Several upstream accounts”). Asking again does not help.',
  },
} as const satisfies Record<ErrorCode | DeviceFailureCode, ErrorDoc>;

/**
 * The browser client's errors, and how an HTTP answer that is not tokens
 * becomes one. Part of `clients/browser-client.ts`, which re-exports them.
 */
import {
  CLIENT_FAILURE_CODES,
  type DeviceKey,
  ERROR_CODE,
  type Problem,
} from '../functions/token-broker/contract.ts';

/**
 * Any error of the client; `code` is the broker's problem code or one of
 * the client's own ({@link CLIENT_FAILURE_CODES}).
 */
export class TokenBrokerError extends Error {
  /** Stable code: a broker problem code or a `CLIENT_FAILURE_CODES` value. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Set by hand: minifiers rename classes, and callers match on `name`.
    this.name = 'TokenBrokerError';
    this.code = code;
  }
}

/**
 * The problem members the client reads. Each may be missing: API Gateway
 * answers some errors itself, with no problem body; and `code` may be one the
 * broker added after this client was built.
 */
export type ProblemFields = Omit<Partial<Problem>, 'code'> & { readonly code?: string };

/** The broker answered with an error status. */
export class TokenBrokerHttpError extends TokenBrokerError {
  /** HTTP status. */
  readonly status: number;
  /** The problem's human-readable detail. */
  readonly detail: string;
  /** With `INVALID_REQUEST`: the JSON path of the offending field. */
  readonly field: string | undefined;
  /** With `FORBIDDEN_DEVICE`: the devices refused. */
  readonly devices: readonly DeviceKey[] | undefined;
  /** The broker's request id, to quote to operators. */
  readonly requestId: string | undefined;
  /** Seconds to wait before retrying, from `Retry-After` (seconds or an HTTP date). */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, problem: ProblemFields, retryAfterSeconds?: number) {
    const detail = problem.detail ?? `HTTP ${status}`;
    super(problem.code ?? CLIENT_FAILURE_CODES.unexpectedResponse, detail);
    this.name = 'TokenBrokerHttpError';
    this.status = status;
    this.detail = detail;
    this.field = problem.field;
    this.devices = problem.devices;
    this.requestId = problem.requestId;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * API Gateway answers two errors itself, before the broker runs, with a plain
 * `{"message": …}` body: the JWT authorizer's 401 and stage throttling's 429.
 */
function gatewayProblem(status: number): ProblemFields {
  if (status === 401) {
    return { code: ERROR_CODE.UNAUTHENTICATED, detail: 'The bearer token is missing or invalid' };
  }
  if (status === 429) {
    return { code: CLIENT_FAILURE_CODES.throttled, detail: 'Too many requests; retry later' };
  }
  return {};
}

/** The error of an answer that is not `{tokens, failures}`, read as problem+json when it is one. */
export function httpError(
  response: Response,
  body: unknown,
  retryAfterMs: number | undefined,
): TokenBrokerHttpError {
  const problem =
    /problem\+json/.test(response.headers.get('content-type') ?? '') && body
      ? (body as ProblemFields)
      : gatewayProblem(response.status);
  const seconds = retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000);
  return new TokenBrokerHttpError(response.status, problem, seconds);
}

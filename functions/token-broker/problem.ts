/**
 * The one place errors become an answer: the RFC 9457 problem of any error,
 * the problem+json HTTP response (used by the handler and the local server
 * alike), and the error a direct invoker receives. Built from the error
 * catalogue; never serialises an error, its cause or its stack.
 */
import {
  ERROR_CODE,
  errorTypeOf,
  invokeErrorMessage,
  type Problem,
  problemType,
} from './contract.ts';
import { problemEntry } from './error-catalogue.ts';
import {
  BrokerError,
  ForbiddenDeviceError,
  GrantsUnavailableError,
  InvalidRequestError,
  MethodNotAllowedError,
  UpstreamBudgetExceededError,
  UpstreamUnavailableError,
} from './errors.ts';

/** An HTTP response in the shape both API Gateway payload versions accept. */
export interface HttpResponse {
  /** HTTP status. */
  readonly statusCode: number;
  /** Response headers, lower case. */
  readonly headers: Record<string, string>;
  /** Response body. */
  readonly body: string;
}

/** Headers of every answer: tokens and errors must not be cached by intermediaries. */
export const BASE_HEADERS = { 'cache-control': 'no-store' } as const;

/** A JSON answer. */
export const jsonResponse = (statusCode: number, body: unknown): HttpResponse => ({
  statusCode,
  headers: { ...BASE_HEADERS, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * The public view of any error. The detail is the error's message unless
 * the catalogue gives the code a public detail (every 5xx): then the caller
 * gets the class of fault and what to do, and the specifics go to the log.
 */
export function toProblem(error: unknown, requestId: string): Problem {
  const known = error instanceof BrokerError ? error : undefined;
  const code = known?.code ?? ERROR_CODE.INTERNAL_ERROR;
  const entry = problemEntry(code);
  return {
    type: problemType(code),
    title: entry.title,
    status: entry.status,
    detail: entry.publicDetail ?? known?.message ?? '',
    code,
    requestId,
    ...(error instanceof InvalidRequestError ? { field: error.field } : {}),
    ...(error instanceof ForbiddenDeviceError ? { devices: error.devices } : {}),
  };
}

/**
 * Extra HTTP headers an error calls for: `Retry-After` while the circuit is
 * open, the login budget is spent or the grants directory is down, and `Allow` on a 405 (RFC 9110 §15.5.6).
 */
export function problemHeaders(error: unknown): Record<string, string> {
  if (
    error instanceof UpstreamUnavailableError ||
    error instanceof UpstreamBudgetExceededError ||
    error instanceof GrantsUnavailableError
  ) {
    return { 'retry-after': String(error.retryAfterSeconds) };
  }
  if (error instanceof MethodNotAllowedError) return { allow: error.allow };
  return {};
}

/**
 * The problem+json response of an error, with the headers it calls for and
 * `extraHeaders` (CORS, `WWW-Authenticate`). Pass `problem` when it is
 * already built, e.g. for the log line.
 */
export function problemResponse(
  error: unknown,
  requestId: string,
  extraHeaders: Readonly<Record<string, string>> = {},
  problem: Problem = toProblem(error, requestId),
): HttpResponse {
  return {
    statusCode: problem.status,
    headers: {
      ...BASE_HEADERS,
      'content-type': 'application/problem+json',
      ...problemHeaders(error),
      ...extraHeaders,
    },
    body: JSON.stringify(problem),
  };
}

/**
 * The error a direct invoker receives: same `name` as the broker's error so a
 * caller or a Step Functions `Catch` can match it, the public detail as the
 * message, and no stack or cause, which Lambda would otherwise serialise.
 * A direct invoker gets no headers, so the `Retry-After` wait, when there is
 * one, is in the message (contract.ts `INVOKE_RETRY_AFTER_FIELD`).
 */
export function toInvokeError(error: unknown, requestId: string): Error {
  const problem = toProblem(error, requestId);
  const wait = problemHeaders(error)['retry-after'];
  const out = new Error(invokeErrorMessage(problem.code, problem.detail, wait));
  out.name = error instanceof BrokerError ? error.name : errorTypeOf(problem.code);
  out.stack = `${out.name}: ${out.message}`;
  return out;
}

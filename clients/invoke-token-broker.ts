/**
 * One direct invocation of the broker function with `InvokeCommand`, its
 * errors mapped back to the broker's stable codes by their `name` (the
 * function's `errorType`), through the wire contract. Part of
 * `clients/lambda-client.ts`, which re-exports it.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  CLIENT_FAILURE_CODES,
  type ClientFailureCode,
  type DeviceGrantsResult,
  type DeviceKey,
  type ErrorCode,
  errorCodeOfType,
  RETRY_LATER_CODES,
  retryAfterSecondsOf,
  type TokenRequest,
  type TokenResult,
} from '../functions/token-broker/contract.ts';

/** Options of one invocation. */
export interface InvokeOptions {
  /** Aborts the invocation; the promise then rejects with the SDK's `AbortError`. */
  readonly signal?: AbortSignal;
  /**
   * The caller found its token rejected: ask the broker to log in again for
   * these devices rather than serve a cached token.
   * @default false
   */
  readonly refresh?: boolean;
}

/** Whose grants a direct `listDevices` asks for: a user, and the groups it is in. */
export interface GrantsPrincipal {
  /** The user's `sub`: the directory's `user:<sub>`. */
  readonly sub: string;
  /** The user's groups: the directory's `group:<name>` of each. */
  readonly groups?: readonly string[];
}

/** Codes of failures of the invocation itself, rather than of the broker. */
export type InvokeFailureCode = Extract<
  ClientFailureCode,
  | typeof CLIENT_FAILURE_CODES.invokeFailed
  | typeof CLIENT_FAILURE_CODES.unexpectedResponse
  | typeof CLIENT_FAILURE_CODES.functionError
>;

/** The members of an SDK error the retry hint reads. */
interface SdkFault {
  readonly name?: string;
  readonly $fault?: string;
  readonly retryAfterSeconds?: string;
}

/**
 * An error the broker function raised, or a failure to invoke it. `code` is
 * the broker's stable code, mapped from the function's `errorType` (then also
 * the `name`), or `INVOKE_FAILED` / `UNEXPECTED_RESPONSE` / `FUNCTION_ERROR`
 * for failures of the invocation itself. Match on `code`.
 *
 * A direct invocation carries no `Retry-After` header, so the retry hint is
 * on the error instead: `retryable`, and `retryAfterSeconds` when the broker
 * (in its message's `[retryAfterSeconds=<n>]`, the contract's
 * `INVOKE_RETRY_AFTER_FIELD`) or Lambda itself named a wait.
 */
export class TokenBrokerInvokeError extends Error {
  /** Stable code. */
  readonly code: ErrorCode | InvokeFailureCode;
  /** The function's `errorType`, when the function raised the error. */
  readonly errorType: string | undefined;
  /**
   * Whether the same call may succeed later, unchanged: the broker's code is
   * one of `RETRY_LATER_CODES` (the provider or the credentials store failed,
   * was slow or is rationed), or Lambda throttled the call or failed itself.
   * Retry after `retryAfterSeconds` when set, else with backoff.
   */
  readonly retryable: boolean;
  /**
   * The wait, in whole seconds, before a retry may succeed: the one the
   * broker named in its error (`UPSTREAM_UNAVAILABLE`,
   * `UPSTREAM_BUDGET_EXCEEDED`, `GRANTS_UNAVAILABLE`: the `Retry-After` an
   * HTTP caller would get), or the one Lambda named when it throttled the
   * invocation (`TooManyRequestsException` with `Retry-After`); undefined
   * otherwise.
   */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode | InvokeFailureCode,
    message: string,
    options: { errorType?: string; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Taken from the payload rather than the class: bundlers may rename classes.
    this.name = options.errorType ?? 'TokenBrokerInvokeError';
    this.code = code;
    this.errorType = options.errorType;
    const fault = (options.cause ?? {}) as SdkFault;
    const throttled = fault.name === 'TooManyRequestsException';
    this.retryable =
      RETRY_LATER_CODES.includes(code as ErrorCode) ||
      (code === CLIENT_FAILURE_CODES.invokeFailed && (throttled || fault.$fault === 'server'));
    const wait = fault.retryAfterSeconds?.trim() ?? '';
    this.retryAfterSeconds =
      options.retryAfterSeconds ?? (throttled && /^\d+$/.test(wait) ? Number(wait) : undefined);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Maps the function's error payload (`{errorType, errorMessage}`) to a typed error. */
function toError(payload: unknown, functionError: string): TokenBrokerInvokeError {
  const errorType =
    isRecord(payload) && typeof payload.errorType === 'string' ? payload.errorType : functionError;
  const message =
    isRecord(payload) && typeof payload.errorMessage === 'string'
      ? payload.errorMessage
      : 'The function failed without a message';
  // Anything else (`Sandbox.Timedout`, a runtime crash) is Lambda's, not the broker's.
  const code = errorCodeOfType(errorType);
  const wait = code === undefined ? undefined : retryAfterSecondsOf(message);
  return new TokenBrokerInvokeError(code ?? CLIENT_FAILURE_CODES.functionError, message, {
    errorType,
    ...(wait === undefined ? {} : { retryAfterSeconds: wait }),
  });
}

const isTokenResult = (v: unknown): v is TokenResult =>
  isRecord(v) && Array.isArray(v.tokens) && Array.isArray(v.failures);

const isDeviceGrantsResult = (v: unknown): v is DeviceGrantsResult =>
  isRecord(v) &&
  typeof v.all === 'boolean' &&
  Array.isArray(v.products) &&
  Array.isArray(v.devices);

/** What one invocation sends, and the answer it expects. */
interface Exchange<T> {
  readonly event: unknown;
  readonly isResult: (payload: unknown) => payload is T;
  /** The expected answer, for the error when another comes back. */
  readonly shape: string;
}

/**
 * Invokes the broker function once for `devices`.
 * @throws {@link TokenBrokerInvokeError} with the broker's code and its error's name,
 *   `TokenBrokerInvokeError` with code `INVOKE_FAILED` when Lambda refused the call
 *   (the SDK error is the `cause`), or the SDK's `AbortError` when `signal` aborted.
 */
export function invokeTokenBroker(
  client: LambdaClient,
  functionName: string,
  devices: readonly DeviceKey[],
  options: InvokeOptions & { readonly qualifier?: string } = {},
): Promise<TokenResult> {
  const request: TokenRequest = options.refresh ? { devices, refresh: true } : { devices };
  const exchange = { event: request, isResult: isTokenResult, shape: '{tokens, failures}' };
  return invoke(client, functionName, exchange, options);
}

/**
 * Invokes the broker function once for the directory grants of `principal`
 * (event `{grantsFor: {sub, groups}}`): a direct invoker has no JWT, so the
 * answer is the directory's alone, and empty without GRANTS_TABLE.
 * @throws as {@link invokeTokenBroker}; `GRANTS_UNAVAILABLE` when the directory cannot be read.
 */
export function invokeListDevices(
  client: LambdaClient,
  functionName: string,
  principal: GrantsPrincipal,
  options: Pick<InvokeOptions, 'signal'> & { readonly qualifier?: string } = {},
): Promise<DeviceGrantsResult> {
  const { sub, groups } = principal;
  const exchange = {
    event: { grantsFor: groups === undefined ? { sub } : { sub, groups } },
    isResult: isDeviceGrantsResult,
    shape: '{all, products, devices}',
  };
  return invoke(client, functionName, exchange, options);
}

/** One invocation with `exchange.event`, its answer checked and its errors mapped. */
async function invoke<T>(
  client: LambdaClient,
  functionName: string,
  exchange: Exchange<T>,
  options: { readonly signal?: AbortSignal; readonly qualifier?: string },
): Promise<T> {
  const command = new InvokeCommand({
    FunctionName: functionName,
    ...(options.qualifier === undefined ? {} : { Qualifier: options.qualifier }),
    Payload: JSON.stringify(exchange.event),
  });
  let output: InvokeCommandOutput;
  try {
    output = await client.send(
      command,
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
  } catch (cause) {
    if (cause instanceof Error && cause.name === 'AbortError') throw cause;
    const name = cause instanceof Error ? cause.name : 'Error';
    throw new TokenBrokerInvokeError(
      CLIENT_FAILURE_CODES.invokeFailed,
      `Could not invoke ${functionName} (${name})`,
      {
        cause,
      },
    );
  }
  const text = output.Payload === undefined ? '' : new TextDecoder().decode(output.Payload);
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (cause) {
    payload = undefined;
    if (output.FunctionError === undefined) {
      throw new TokenBrokerInvokeError(
        CLIENT_FAILURE_CODES.unexpectedResponse,
        'The function returned no JSON',
        {
          cause,
        },
      );
    }
  }
  if (output.FunctionError !== undefined) throw toError(payload, output.FunctionError);
  if (!exchange.isResult(payload)) {
    throw new TokenBrokerInvokeError(
      CLIENT_FAILURE_CODES.unexpectedResponse,
      `The function returned something other than ${exchange.shape}`,
    );
  }
  return payload;
}

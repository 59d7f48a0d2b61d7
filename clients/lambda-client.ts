/**
 * Client for other Lambdas: invokes the broker function directly with
 * `InvokeCommand` and maps its errors back to the broker's stable codes by
 * their `name` (the function's `errorType`), through the wire contract. Its
 * only import besides the SDK is the contract, which imports nothing: copy
 * both files to ship it. Pair it with the TokenBroker construct's
 * `grantInvoke(fn)`.
 */
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CLIENT_FAILURE_CODES,
  type ClientFailureCode,
  type DeviceKey,
  type ErrorCode,
  errorCodeOfType,
  type TokenRequest,
  type TokenResult,
} from '../functions/token-broker/contract.ts';

export {
  CLIENT_FAILURE_CODES,
  type ClientFailureCode,
  DEVICE_FAILURE_CODES,
  type DeviceFailure,
  type DeviceFailureCode,
  type DeviceKey,
  ERROR_CODE,
  type ErrorCode,
  type IssuedToken,
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

/** Options of {@link LambdaTokenClient}. */
export interface LambdaTokenClientOptions {
  /** Name, ARN or partial ARN of the broker function (e.g. from an env var). */
  readonly functionName: string;
  /**
   * Version or alias to invoke.
   * @default the unqualified function ($LATEST)
   */
  readonly qualifier?: string;
  /**
   * The SDK client; inject one to share it, set a region or mock it.
   * @default new LambdaClient({})
   */
  readonly client?: LambdaClient;
}

/** Codes of failures of the invocation itself, rather than of the broker. */
export type InvokeFailureCode = Exclude<ClientFailureCode, typeof CLIENT_FAILURE_CODES.network>;

/**
 * An error the broker function raised, or a failure to invoke it. `code` is
 * the broker's stable code, mapped from the function's `errorType` (then also
 * the `name`), or `INVOKE_FAILED` / `UNEXPECTED_RESPONSE` / `FUNCTION_ERROR`
 * for failures of the invocation itself. Match on `code`.
 */
export class TokenBrokerInvokeError extends Error {
  /** Stable code. */
  readonly code: ErrorCode | InvokeFailureCode;
  /** The function's `errorType`, when the function raised the error. */
  readonly errorType: string | undefined;

  constructor(
    code: ErrorCode | InvokeFailureCode,
    message: string,
    options: { errorType?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Taken from the payload rather than the class: bundlers may rename classes.
    this.name = options.errorType ?? 'TokenBrokerInvokeError';
    this.code = code;
    this.errorType = options.errorType;
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
  return new TokenBrokerInvokeError(
    errorCodeOfType(errorType) ?? CLIENT_FAILURE_CODES.functionError,
    message,
    {
      errorType,
    },
  );
}

const isTokenResult = (v: unknown): v is TokenResult =>
  isRecord(v) && Array.isArray(v.tokens) && Array.isArray(v.failures);

/**
 * Invokes the broker function once for `devices`.
 * @throws {@link TokenBrokerInvokeError} with the broker's code and its error's name,
 *   `TokenBrokerInvokeError` with code `INVOKE_FAILED` when Lambda refused the call
 *   (the SDK error is the `cause`), or the SDK's `AbortError` when `signal` aborted.
 */
export async function invokeTokenBroker(
  client: LambdaClient,
  functionName: string,
  devices: readonly DeviceKey[],
  options: InvokeOptions & { readonly qualifier?: string } = {},
): Promise<TokenResult> {
  const request: TokenRequest = options.refresh ? { devices, refresh: true } : { devices };
  const command = new InvokeCommand({
    FunctionName: functionName,
    ...(options.qualifier === undefined ? {} : { Qualifier: options.qualifier }),
    Payload: JSON.stringify(request),
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
  if (!isTokenResult(payload)) {
    throw new TokenBrokerInvokeError(
      CLIENT_FAILURE_CODES.unexpectedResponse,
      'The function returned something other than {tokens, failures}',
    );
  }
  return payload;
}

/**
 * A broker function bound to its name and SDK client.
 * @example
 * const broker = new LambdaTokenClient({ functionName: 'visual-token-broker' });
 * const { tokens, failures } = await broker.getTokens([{ productKey, deviceName }]);
 */
export class LambdaTokenClient {
  readonly #options: LambdaTokenClientOptions;
  readonly #client: LambdaClient;

  constructor(options: LambdaTokenClientOptions) {
    this.#options = options;
    this.#client = options.client ?? new LambdaClient({});
  }

  /** Tokens for `devices`; see {@link invokeTokenBroker} for the errors. */
  getTokens(devices: readonly DeviceKey[], options: InvokeOptions = {}): Promise<TokenResult> {
    return invokeTokenBroker(this.#client, this.#options.functionName, devices, {
      ...options,
      ...(this.#options.qualifier === undefined ? {} : { qualifier: this.#options.qualifier }),
    });
  }
}

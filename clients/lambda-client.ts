/**
 * Client for other Lambdas: invokes the broker function directly with
 * `InvokeCommand` and maps its errors back to typed classes by their `name`
 * (the function's `errorType`). Imports nothing from the server, so it ships
 * on its own; pair it with the TokenBroker construct's `grantInvoke(fn)`.
 */
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import type { DeviceFailure, DeviceKey, TokensResult, VisualToken } from './browser-client.ts';

export type { DeviceFailure, DeviceKey, TokensResult, VisualToken };

/** Options of one invocation. */
export interface InvokeOptions {
  /** Aborts the invocation; the promise then rejects with the SDK's `AbortError`. */
  readonly signal?: AbortSignal;
}

/** Options of {@link TokenBrokerClient}. */
export interface TokenBrokerClientProps {
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

/**
 * An error the broker function raised, or a failure to invoke it. `name` is
 * the function's `errorType` for broker errors; `code` is the broker's stable
 * code, or `INVOKE_FAILED` / `UNEXPECTED_RESPONSE` / `FUNCTION_ERROR` for
 * failures of the invocation itself.
 */
export class TokenBrokerInvokeError extends Error {
  /** Stable code. */
  readonly code: string;
  /** The function's `errorType`, when the function raised the error. */
  readonly errorType: string | undefined;

  constructor(
    code: string,
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

/** `INVALID_REQUEST`: the devices break a rule; the message names the field. */
export class InvalidRequestError extends TokenBrokerInvokeError {}
/** `FORBIDDEN_DEVICE`: devices outside the caller's grants. */
export class ForbiddenDeviceError extends TokenBrokerInvokeError {}
/** `UPSTREAM_REJECTED`: the provider refused the broker's login. */
export class UpstreamRejectedError extends TokenBrokerInvokeError {}
/** `UPSTREAM_ERROR`: the provider failed or answered something unusable. */
export class UpstreamError extends TokenBrokerInvokeError {}
/** `UPSTREAM_TIMEOUT`: the provider did not answer in time; retry later. */
export class UpstreamTimeoutError extends TokenBrokerInvokeError {}
/** `UPSTREAM_UNAVAILABLE`: the broker is not calling the provider for a while; retry later. */
export class UpstreamUnavailableError extends TokenBrokerInvokeError {}
/** `CONFIGURATION_ERROR`: the broker is misconfigured; see its logs. */
export class ConfigurationError extends TokenBrokerInvokeError {}
/** `CREDENTIALS_UNAVAILABLE`: the broker could not read its credentials; retry later. */
export class CredentialsUnavailableError extends TokenBrokerInvokeError {}
/** `INTERNAL_ERROR`: a bug in the broker; see its logs. */
export class InternalError extends TokenBrokerInvokeError {}

/** The class of each `errorType` the broker raises on a direct invocation. */
export const ERROR_CLASSES = {
  InvalidRequestError,
  ForbiddenDeviceError,
  UpstreamRejectedError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  ConfigurationError,
  CredentialsUnavailableError,
  InternalError,
} as const;

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
  // The broker's messages start with its code: `UPSTREAM_TIMEOUT: …`.
  const code = /^([A-Z][A-Z_]+): /.exec(message)?.[1] ?? 'FUNCTION_ERROR';
  const Class = Object.hasOwn(ERROR_CLASSES, errorType)
    ? ERROR_CLASSES[errorType as keyof typeof ERROR_CLASSES]
    : TokenBrokerInvokeError;
  return new Class(code, message, { errorType });
}

const isTokensResult = (v: unknown): v is TokensResult =>
  isRecord(v) && Array.isArray(v.tokens) && Array.isArray(v.failures);

/**
 * Invokes the broker function once for `devices`.
 * @throws a {@link TokenBrokerInvokeError} subclass named after the broker's error,
 *   `TokenBrokerInvokeError` with code `INVOKE_FAILED` when Lambda refused the call
 *   (the SDK error is the `cause`), or the SDK's `AbortError` when `signal` aborted.
 */
export async function invokeTokenBroker(
  client: LambdaClient,
  functionName: string,
  devices: readonly DeviceKey[],
  options: InvokeOptions & { readonly qualifier?: string } = {},
): Promise<TokensResult> {
  const command = new InvokeCommand({
    FunctionName: functionName,
    ...(options.qualifier === undefined ? {} : { Qualifier: options.qualifier }),
    Payload: JSON.stringify({ devices }),
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
      'INVOKE_FAILED',
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
      throw new TokenBrokerInvokeError('UNEXPECTED_RESPONSE', 'The function returned no JSON', {
        cause,
      });
    }
  }
  if (output.FunctionError !== undefined) throw toError(payload, output.FunctionError);
  if (!isTokensResult(payload)) {
    throw new TokenBrokerInvokeError(
      'UNEXPECTED_RESPONSE',
      'The function returned something other than {tokens, failures}',
    );
  }
  return payload;
}

/** A broker function bound to its name and SDK client. */
export class TokenBrokerClient {
  readonly #props: TokenBrokerClientProps;
  readonly #client: LambdaClient;

  constructor(props: TokenBrokerClientProps) {
    this.#props = props;
    this.#client = props.client ?? new LambdaClient({});
  }

  /** Tokens for `devices`; see {@link invokeTokenBroker} for the errors. */
  getTokens(devices: readonly DeviceKey[], options: InvokeOptions = {}): Promise<TokensResult> {
    return invokeTokenBroker(this.#client, this.#props.functionName, devices, {
      ...options,
      ...(this.#props.qualifier === undefined ? {} : { qualifier: this.#props.qualifier }),
    });
  }
}

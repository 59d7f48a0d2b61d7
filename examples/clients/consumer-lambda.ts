/**
 * A consumer Lambda that gets visual tokens from the broker by direct
 * invocation. Deploy it with the broker's `grantInvoke` and the broker
 * stack's `FunctionName` output in TOKEN_BROKER_FUNCTION_NAME (see
 * docs/api.md); run it against `npm start` with
 * `AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:3000` and
 * `TOKEN_BROKER_FUNCTION_NAME=visual-token-broker`, the name the local
 * server prints.
 */
import type { Context } from 'aws-lambda';
import {
  type DeviceKey,
  LambdaTokenClient,
  TokenBrokerInvokeError,
} from '../../clients/lambda-client.ts';
import { LIVE_ALIAS } from '../../functions/token-broker/contract.ts';

/** Environment variable holding the broker function's name: the stack's `FunctionName` output. */
export const BROKER_FUNCTION_ENV = 'TOKEN_BROKER_FUNCTION_NAME';

const functionName = process.env[BROKER_FUNCTION_ENV];
if (!functionName) {
  // No fallback: the deployed name is generated, so a guessed one only fails later, less clearly.
  throw new Error(
    `${BROKER_FUNCTION_ENV} is not set: set it to the broker stack's FunctionName output (locally: visual-token-broker)`,
  );
}

// The cache lives as long as the container: warm invocations reuse its tokens. The
// live alias is what grantInvoke grants, and what a rollback moves.
const broker = new LambdaTokenClient({ functionName, qualifier: LIVE_ALIAS, cache: true });

/** Returns the tokens of the devices in the event, or `retryLater` when the provider is down. */
export async function handler(event: { devices: DeviceKey[] }, context: Context) {
  // Give up before this function's own deadline, so it can still answer.
  const signal = AbortSignal.timeout(Math.max(1, context.getRemainingTimeInMillis() - 500));
  try {
    const { tokens, failures } = await broker.getTokens(event.devices, { signal });
    return { tokens, failed: failures.map((f) => `${f.productKey}/${f.deviceName}: ${f.code}`) };
  } catch (error) {
    if (error instanceof TokenBrokerInvokeError && error.retryable) {
      return { retryLater: true, retryAfterSeconds: error.retryAfterSeconds };
    }
    throw error;
  }
}

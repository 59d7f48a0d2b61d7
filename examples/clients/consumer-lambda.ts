/**
 * A consumer Lambda that gets visual tokens from the broker by direct
 * invocation. Deploy it with the broker's `grantInvoke` (see docs/api.md);
 * run it against `npm start` with `AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:3000`.
 */
import type { Context } from 'aws-lambda';
import {
  type DeviceKey,
  ERROR_CODE,
  LambdaTokenClient,
  TokenBrokerInvokeError,
} from '../../clients/lambda-client.ts';

/** Environment variable holding the broker function's name, set by the stack. */
export const BROKER_FUNCTION_ENV = 'TOKEN_BROKER_FUNCTION_NAME';

/** The broker's codes that say: the provider is down or rationed, try again later. */
const RETRY_LATER: ReadonlySet<string> = new Set([
  ERROR_CODE.UPSTREAM_TIMEOUT,
  ERROR_CODE.UPSTREAM_UNAVAILABLE,
  ERROR_CODE.UPSTREAM_BUDGET_EXCEEDED,
]);

const broker = new LambdaTokenClient({
  functionName: process.env[BROKER_FUNCTION_ENV] ?? 'visual-token-broker',
});

/** Returns the tokens of the devices in the event, or `retryLater` when the provider is down. */
export async function handler(event: { devices: DeviceKey[] }, context: Context) {
  // Give up before this function's own deadline, so it can still answer.
  const signal = AbortSignal.timeout(Math.max(1, context.getRemainingTimeInMillis() - 500));
  try {
    const { tokens, failures } = await broker.getTokens(event.devices, { signal });
    return { tokens, failed: failures.map((f) => `${f.productKey}/${f.deviceName}: ${f.code}`) };
  } catch (error) {
    if (error instanceof TokenBrokerInvokeError && RETRY_LATER.has(error.code)) {
      return { retryLater: true };
    }
    throw error;
  }
}

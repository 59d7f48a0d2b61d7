/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`)
 * on the local server, so the Lambda client works against `npm start` with
 * `endpoint: 'http://127.0.0.1:3000'`. It runs the handler with the payload
 * as a direct-invoke event and answers as Lambda does: the result as the
 * body, or `{errorType, errorMessage}` with `X-Amz-Function-Error`. Like
 * Lambda, it authorises nothing itself (IAM does, in AWS).
 */
import type { Context } from 'aws-lambda';
import type { HttpResponse } from '../token-broker/problem.ts';
import { MAX_BODY_BYTES } from '../token-broker/request.ts';

/** Path of the Invoke API; any function name is served by the one local handler. */
export const INVOKE_PATH = /^\/2015-03-31\/functions\/[^/]+\/invocations$/;

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Runs one invocation as Lambda would, returning its HTTP answer. */
export async function invokeLocally(
  handler: Handler,
  body: Buffer,
  context: Context,
): Promise<HttpResponse> {
  if (body.byteLength > MAX_BODY_BYTES) {
    const message = `Payload over ${MAX_BODY_BYTES} bytes (local limit)`;
    return json(413, { message }, { 'x-amzn-errortype': 'RequestTooLargeException' });
  }
  let event: unknown;
  try {
    event = body.byteLength === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    const message = 'Could not parse request body into json';
    return json(400, { message }, { 'x-amzn-errortype': 'InvalidRequestContentException' });
  }
  const headers = { 'x-amz-executed-version': '$LATEST', 'x-amzn-requestid': context.awsRequestId };
  try {
    return json(200, (await handler(event, context)) ?? null, headers);
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    return json(
      200,
      { errorType: name, errorMessage: message, trace: [] },
      { ...headers, 'x-amz-function-error': 'Unhandled' },
    );
  }
}

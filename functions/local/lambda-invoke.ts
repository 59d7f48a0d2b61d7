/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`)
 * on the local server, so the Lambda client works against `npm start` with
 * `endpoint: 'http://127.0.0.1:3000'`. It runs the handler with the payload
 * as a direct-invoke event and answers as Lambda does: the result as the
 * body, or `{errorType, errorMessage}` with `X-Amz-Function-Error`. Like
 * Lambda, it authorises nothing itself (IAM does, in AWS), but it refuses
 * what only a web page would send (see {@link refuseInvoke}).
 */
import type { IncomingHttpHeaders } from 'node:http';
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

/**
 * Content types the endpoint takes: JSON, and `application/octet-stream`,
 * which the AWS SDK sends with every Invoke payload. Neither is one a web
 * page can send cross-site without a CORS preflight, which is never granted.
 */
const INVOKE_CONTENT_TYPE = /^application\/(?:json|octet-stream)\s*(?:;|$)/i;

/**
 * Refuses a request that only a web page would send: an SDK client sends
 * neither `Origin` nor `Sec-Fetch-Site`, and always a JSON or binary
 * Content-Type. Without this, any page the developer opens could POST
 * `text/plain` here and, with `npm start` pointed at a real secret, burn
 * real logins on the developer account.
 * @returns the Lambda-style error answer, or undefined to go on.
 */
export function refuseInvoke(headers: IncomingHttpHeaders): HttpResponse | undefined {
  const site = headers['sec-fetch-site'];
  if (headers.origin !== undefined || site === 'cross-site' || site === 'same-site') {
    const message = 'Invocations from a web page are refused (Origin or Sec-Fetch-Site present)';
    return json(403, { message }, { 'x-amzn-errortype': 'AccessDeniedException' });
  }
  if (!INVOKE_CONTENT_TYPE.test(headers['content-type'] ?? '')) {
    const message =
      'The Content-Type must be application/json or application/octet-stream (as the AWS SDK sends)';
    return json(415, { message }, { 'x-amzn-errortype': 'UnsupportedMediaTypeException' });
  }
  return undefined;
}

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

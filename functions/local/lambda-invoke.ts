/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`)
 * on the local server, so the Lambda client works against `npm start` with
 * `endpoint: 'http://127.0.0.1:3000'`. It runs the handler with the payload
 * as a direct-invoke event and answers as Lambda does: the result as the
 * body, or `{errorType, errorMessage}` with `X-Amz-Function-Error`. Like
 * Lambda, it authorises nothing itself (IAM does, in AWS), but it refuses
 * what only a web page would send (see {@link refuseInvoke}), and answers a
 * function name other than {@link LOCAL_FUNCTION_NAME} as Lambda answers an
 * unknown one.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Context } from 'aws-lambda';
import { LIVE_ALIAS } from '../token-broker/contract.ts';
import type { HttpResponse } from '../token-broker/problem.ts';
import { MAX_BODY_BYTES } from '../token-broker/request.ts';

/** Path of the Invoke API; the function name (as the SDK sends it, URL-encoded) is checked apart. */
export const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * The one function the local Invoke API serves, by name, ARN or partial ARN
 * (any region and account), unqualified, `$LATEST` or the `live` alias
 * ({@link LIVE_ALIAS}), which deployed callers invoke. Deployed, the name is
 * the stack's `FunctionName` output instead.
 */
export const LOCAL_FUNCTION_NAME = 'visual-token-broker';

/** The account in the ARNs the local server names, as in its Lambda context. */
const LOCAL_ACCOUNT = '000000000000';

/** The ready-line entry of the Invoke API: the function name it accepts, and where. */
export const invokeReadyLine = (url: string): string =>
  `  invoke:   function ${LOCAL_FUNCTION_NAME} (Lambda Invoke API; AWS_ENDPOINT_URL_LAMBDA=${url})`;

/**
 * The function and qualifier a `FunctionName` names, in any form Lambda takes:
 * `name`, `name:qualifier`, `account:function:name[:qualifier]` or
 * `arn:aws:lambda:region:account:function:name[:qualifier]`.
 */
function functionOf(nameOrArn: string): { name: string; qualifier: string | undefined } {
  const parts = nameOrArn.split(':');
  const at = parts[0] === 'arn' ? 6 : parts[1] === 'function' ? 2 : 0;
  return { name: parts[at] ?? '', qualifier: parts[at + 1] };
}

/** The region the SDK signed for (`Credential=…/date/region/lambda/…`), to name in an ARN. */
const signedRegion = (authorization: string | undefined) =>
  /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization ?? '')?.[1] ?? 'local';

/**
 * The 404 Lambda answers for a function that does not exist, with its body
 * shape (`{Type, Message}`): anything but {@link LOCAL_FUNCTION_NAME}, its
 * `$LATEST` and its `live` alias (one version locally, so both are it).
 * @returns the Lambda-style error answer, or undefined to go on.
 */
export function refuseUnknownFunction(
  url: string,
  headers: IncomingHttpHeaders,
): HttpResponse | undefined {
  const { pathname, searchParams } = new URL(url, 'http://localhost');
  const encoded = INVOKE_PATH.exec(pathname)?.[1] ?? '';
  let named: string;
  try {
    named = decodeURIComponent(encoded);
  } catch {
    named = encoded;
  }
  const { name, qualifier = searchParams.get('Qualifier') ?? undefined } = functionOf(named);
  if (name === LOCAL_FUNCTION_NAME && [undefined, '$LATEST', LIVE_ALIAS].includes(qualifier)) {
    return undefined;
  }
  const arn = `arn:aws:lambda:${signedRegion(headers.authorization)}:${LOCAL_ACCOUNT}:function:${name}`;
  const body = {
    Type: 'User',
    Message: `Function not found: ${arn}${qualifier ? `:${qualifier}` : ''}`,
  };
  return json(404, body, { 'x-amzn-errortype': 'ResourceNotFoundException' });
}

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
 * Refuses a request that only a web page would send, or for a function
 * other than the local one (see {@link refuseUnknownFunction}). An SDK client sends
 * neither `Origin` nor `Sec-Fetch-Site`, and always a JSON or binary
 * Content-Type. Without this, any page the developer opens could POST
 * `text/plain` here and, with `npm start` pointed at a real secret, burn
 * real logins on the developer account.
 * @returns the Lambda-style error answer, or undefined to go on.
 */
export function refuseInvoke(
  headers: IncomingHttpHeaders,
  url: string | undefined,
): HttpResponse | undefined {
  const site = headers['sec-fetch-site'];
  if (headers.origin !== undefined || site === 'cross-site' || site === 'same-site') {
    const message = 'Invocations from a web page are refused (Origin or Sec-Fetch-Site present)';
    return json(403, { message }, { 'x-amzn-errortype': 'AccessDeniedException' });
  }
  const unknown = refuseUnknownFunction(url ?? '/', headers);
  if (unknown !== undefined) return unknown;
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

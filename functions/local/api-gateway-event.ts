/**
 * What API Gateway and Lambda hand the handler, rebuilt by the local server
 * from a plain HTTP request: the payload 2.0 event and the invocation
 * context. Apart from server.ts so that file stays about serving.
 */
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../token-broker/request.ts';

/** How long a simulated invocation may run, as the deployed function's timeout. */
const INVOCATION_TIMEOUT_MS = 10_000;

/** Reads a request body, stopping one chunk past {@link MAX_BODY_BYTES}. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
    // One byte past the limit is enough for the handler to answer 413.
    if (size > MAX_BODY_BYTES) break;
  }
  return Buffer.concat(chunks);
}

const TEXT_TYPES = /^(?:text\/|application\/(?:[\w.+-]+\+)?json)/i;

/** Builds the payload 2.0 event API Gateway would send for this request. */
export function toEvent(
  req: IncomingMessage,
  body: Buffer,
  claims: Record<string, unknown>,
  requestId: string,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const text = TEXT_TYPES.test(headers['content-type'] ?? '');
  const time = new Date();
  const method = req.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: `${method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: claims as Record<string, string>, scopes: [] },
      },
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        // The socket is gone once an oversized body was cut short.
        sourceIp: req.socket?.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: `${method} ${url.pathname}`,
      stage: '$default',
      time: time.toISOString(),
      timeEpoch: time.getTime(),
    },
    ...(body.byteLength > 0
      ? { body: text ? body.toString('utf8') : body.toString('base64') }
      : {}),
    isBase64Encoded: body.byteLength > 0 && !text,
  };
}

/** The invocation context Lambda would pass, with the deployed function's time limit. */
export function toContext(requestId: string): Context {
  const deadline = Date.now() + INVOCATION_TIMEOUT_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'visual-token-broker-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:visual-token-broker-local',
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

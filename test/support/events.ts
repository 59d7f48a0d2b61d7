/**
 * Builders of real Lambda events and contexts, shaped as API Gateway and the
 * Lambda runtime send them.
 */
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  Context,
} from 'aws-lambda';

/** Options of {@link httpApiEvent}. */
export interface HttpEventOptions {
  readonly method?: string;
  readonly body?: string | object;
  readonly headers?: Record<string, string>;
  readonly claims?: Record<string, string | number | boolean | string[]>;
  readonly isBase64Encoded?: boolean;
  readonly requestId?: string;
}

const bodyText = (body: string | object | undefined) =>
  body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);

/** A payload 2.0 event for `POST /tokens` behind a JWT authorizer. */
export function httpApiEvent(
  options: HttpEventOptions = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const method = options.method ?? 'POST';
  const body = bodyText(options.body);
  return {
    version: '2.0',
    routeKey: `${method} /tokens`,
    rawPath: '/tokens',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...options.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims: (options.claims ?? { sub: 'alice', devices: '*' }) as Record<string, string>,
          scopes: [],
        },
      },
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method,
        path: '/tokens',
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.1',
        userAgent: 'test',
      },
      requestId: options.requestId ?? 'req-http-1',
      routeKey: `${method} /tokens`,
      stage: '$default',
      time: '21/Nov/2026:00:00:00 +0000',
      timeEpoch: 1_795_305_600_000,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** A REST API (payload 1.0) event for `POST /tokens`. */
export function restApiEvent(options: HttpEventOptions = {}): APIGatewayProxyEvent {
  const method = options.method ?? 'POST';
  return {
    resource: '/tokens',
    path: '/tokens',
    httpMethod: method,
    headers: { 'Content-Type': 'application/json', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      requestId: options.requestId ?? 'req-rest-1',
      authorizer: { claims: options.claims ?? { sub: 'alice', devices: '*' } },
    } as unknown as APIGatewayProxyEvent['requestContext'],
    body: bodyText(options.body) ?? null,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** A Lambda context with a fixed request id and `remainingMs` left. */
export function lambdaContext(remainingMs = 10_000, awsRequestId = 'aws-req-1'): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'token-broker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:token-broker',
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: '/aws/lambda/token-broker',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

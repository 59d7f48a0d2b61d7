/**
 * The local Lambda Invoke endpoint refuses what only a web page would send,
 * answers an unknown function name as Lambda does, and still serves what
 * the AWS SDK sends (test/clients runs the SDK itself).
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaTokenClient } from '../../clients/lambda-client.ts';
import { LOCAL_FUNCTION_NAME } from '../../functions/local/lambda-invoke.ts';
import { banner } from '../../functions/local/ready-line.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';
import { rawRequest } from '../support/raw-http.ts';

const PATH = '/2015-03-31/functions/visual-token-broker/invocations';
const BODY = JSON.stringify({ devices: [{ productKey: 'pkA', deviceName: 'dev1' }] });

let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer({
    metrics: NO_METRICS,
    env: {},
    port: 0,
    logger: captureLogger(),
  });
});

afterAll(async () => {
  await server?.close();
});

const invoke = (headers: Record<string, string>, body: string = BODY) =>
  rawRequest({ url: server.url, path: PATH, headers, body });

const logins = () => server.simulator?.logins.length ?? Number.NaN;

describe('local Invoke endpoint', () => {
  it('fails when the issue’s cross-site text/plain POST arrives, with 403 AccessDeniedException and no login', async () => {
    // Prepare
    const before = logins();
    // Act
    const response = await invoke({
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
      'content-type': 'text/plain;charset=UTF-8',
    });
    // Assess
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toBe('AccessDeniedException');
    expect(JSON.parse(response.body).message).toMatch(/web page/);
    expect(logins()).toBe(before);
  });

  it.each([
    ['an Origin header', { origin: 'http://127.0.0.1:3001', 'content-type': 'application/json' }],
    ['Origin: null', { origin: 'null', 'content-type': 'application/json' }],
    [
      'Sec-Fetch-Site: cross-site',
      { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
    ],
    [
      'Sec-Fetch-Site: same-site',
      { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' },
    ],
  ])('fails when the request carries %s, with 403', async (_name, headers) => {
    // Prepare
    const before = logins();
    // Act
    const response = await invoke(headers);
    // Assess
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toBe('AccessDeniedException');
    expect(logins()).toBe(before);
  });

  it.each([
    ['text/plain;charset=UTF-8'],
    ['application/x-www-form-urlencoded'],
    ['multipart/form-data; boundary=x'],
    ['application/jsonp'],
  ])('fails when the Content-Type is %s, with 415 UnsupportedMediaTypeException', async (type) => {
    // Prepare
    const before = logins();
    // Act
    const response = await invoke({ 'content-type': type });
    // Assess
    expect(response.status).toBe(415);
    expect(response.headers['x-amzn-errortype']).toBe('UnsupportedMediaTypeException');
    expect(logins()).toBe(before);
  });

  it('fails when there is no Content-Type at all, with 415', async () => {
    // Act
    const response = await invoke({});
    // Assess
    expect(response.status).toBe(415);
  });

  it('fails when a web page sends a 100 MB body, with 403 on the headers alone, unread', async () => {
    // Act
    const response = await rawRequest({
      url: server.url,
      path: PATH,
      headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
      body: Buffer.alloc(64 * 1024, 'x'),
      declaredLength: 100 * 1024 * 1024,
    });
    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.connection).toBe('close');
  });

  it.each([
    ['application/json'],
    ['application/json; charset=utf-8'],
    ['application/octet-stream'],
  ])(
    'answers 200 with tokens for Content-Type %s (JSON, or what the AWS SDK sends)',
    async (type) => {
      // Act
      const response = await invoke({ 'content-type': type, 'sec-fetch-site': 'none' });
      // Assess
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body).tokens).toHaveLength(1);
    },
  );
});

describe('local Invoke endpoint function names', () => {
  const JSON_TYPE = { 'content-type': 'application/json' };
  const at = (name: string, query = '') =>
    rawRequest({
      url: server.url,
      path: `/2015-03-31/functions/${encodeURIComponent(name)}/invocations${query}`,
      headers: JSON_TYPE,
      body: BODY,
    });

  it('fails when the function name is unknown, with 404 ResourceNotFoundException in Lambda’s body shape', async () => {
    // Prepare
    const before = logins();
    // Act
    const response = await at('visual-token-broker-typo');
    // Assess
    expect(response.status).toBe(404);
    expect(response.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(JSON.parse(response.body)).toEqual({
      Type: 'User',
      Message:
        'Function not found: arn:aws:lambda:local:000000000000:function:visual-token-broker-typo',
    });
    expect(logins()).toBe(before);
  });

  it('fails when the qualifier is neither $LATEST nor live, naming it as Lambda does', async () => {
    // Act
    const response = await at(LOCAL_FUNCTION_NAME, '?Qualifier=prod');
    // Assess
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body).Message).toBe(
      `Function not found: arn:aws:lambda:local:000000000000:function:${LOCAL_FUNCTION_NAME}:prod`,
    );
  });

  it.each([
    [LOCAL_FUNCTION_NAME, ''],
    [`${LOCAL_FUNCTION_NAME}:$LATEST`, ''],
    [LOCAL_FUNCTION_NAME, '?Qualifier=%24LATEST'],
    // The deployed callers' alias: locally there is one version, so it is that one.
    [LOCAL_FUNCTION_NAME, '?Qualifier=live'],
    [`${LOCAL_FUNCTION_NAME}:live`, ''],
    [`123456789012:function:${LOCAL_FUNCTION_NAME}`, ''],
    [`arn:aws:lambda:eu-west-1:123456789012:function:${LOCAL_FUNCTION_NAME}`, ''],
  ])('serves the local function named %s%s', async (name, query) => {
    // Act
    const response = await at(name, query);
    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).tokens).toHaveLength(1);
  });

  it('fails when the SDK invokes an unknown name, with the SDK’s ResourceNotFoundException', async () => {
    // Prepare
    const lambda = new LambdaClient({
      endpoint: server.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const client = new LambdaTokenClient({ functionName: 'TokenBroker-Fn-1A2B3C', client: lambda });
    // Act
    const error = await client
      .getTokens([{ productKey: 'pkA', deviceName: 'dev1' }])
      .catch((e: unknown) => e);
    lambda.destroy();
    // Assess
    expect(error).toMatchObject({
      code: 'INVOKE_FAILED',
      retryable: false,
      cause: expect.objectContaining({
        name: 'ResourceNotFoundException',
        Type: 'User',
        message:
          'Function not found: arn:aws:lambda:eu-west-1:000000000000:function:TokenBroker-Fn-1A2B3C',
        $metadata: expect.objectContaining({ httpStatusCode: 404 }),
      }),
    });
  });

  it('prints the function name it accepts in the ready banner', async () => {
    // Act
    const text = await banner(server);
    // Assess
    expect(text.split('\n')).toContain(
      `  invoke:   function ${LOCAL_FUNCTION_NAME} (Lambda Invoke API; AWS_ENDPOINT_URL_LAMBDA=${server.url})`,
    );
  });
});

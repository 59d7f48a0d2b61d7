/**
 * The local server's API routes, over real HTTP with a handler that records
 * what it is given: `GET /tokens/devices` reaches the handler as API
 * Gateway's payload 2.0 event with the verified claims, exactly as
 * `POST /tokens` does; every other method on it too, for the handler to
 * answer; a refused bearer token never reaches it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingMetrics } from '../../functions/local/counting-metrics.ts';
import { createDevVerifier, issueDevToken } from '../../functions/local/dev-issuer.ts';
import { createRequestListener, type LocalRoutes } from '../../functions/local/local-routes.ts';
import { loopbackHosts } from '../../functions/local/loopback-guard.ts';
import { DEVICES_PATH, TOKENS_PATH } from '../../functions/token-broker/contract.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';

const events: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];
let server: Server;
let url: string;

/** Stands in for the Lambda handler: records the event, answers 200 with its route. */
const handler = (async (event: APIGatewayProxyEventV2WithJWTAuthorizer) => {
  events.push(event);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ routeKey: event.routeKey }),
  };
}) as unknown as LocalRoutes['handler'];

beforeAll(async () => {
  let hosts: ReadonlySet<string> = new Set();
  server = createServer(
    createRequestListener({
      handler,
      logger: captureLogger(),
      metrics: countingMetrics(NO_METRICS),
      verify: await createDevVerifier(),
      origins: [],
      hosts: () => hosts,
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  hosts = loopbackHosts(port);
  url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends `method path` with a bearer token and returns what the handler was given, if anything. */
async function send(method: string, path: string, bearer?: string) {
  const before = events.length;
  const response = await fetch(`${url}${path}`, {
    method,
    headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
  });
  await response.arrayBuffer();
  return { status: response.status, event: events.slice(before)[0] };
}

describe('the local API routes', () => {
  it.each([
    ['GET', DEVICES_PATH],
    ['POST', TOKENS_PATH],
  ])('hands %s %s to the handler as a payload 2.0 event with the claims', async (method, path) => {
    // Prepare
    const token = await issueDevToken({ sub: 'alice', claims: { 'cognito:groups': ['ops'] } });

    // Act
    const { status, event } = await send(method, `${path}?x=1`, token);

    // Assess
    expect(status).toBe(200);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: `${method} ${path}`,
      rawPath: path,
      rawQueryString: 'x=1',
      requestContext: {
        http: { method, path },
        authorizer: { jwt: { claims: { sub: 'alice', 'cognito:groups': ['ops'] } } },
      },
    });
  });

  it.each(['POST', 'DELETE'])(
    'hands %s /tokens/devices to the handler, to answer',
    async (method) => {
      // Prepare
      const token = await issueDevToken();

      // Act
      const { event } = await send(method, DEVICES_PATH, token);

      // Assess
      expect(event?.requestContext.http.method).toBe(method);
      expect(event?.rawPath).toBe(DEVICES_PATH);
    },
  );

  it('fails when GET /tokens/devices has no bearer token: 401, and the handler is not called', async () => {
    // Act
    const { status, event } = await send('GET', DEVICES_PATH);

    // Assess
    expect(status).toBe(401);
    expect(event).toBeUndefined();
  });

  it('fails when the path is another one under /tokens: 404, and the handler is not called', async () => {
    // Act
    const { status, event } = await send('GET', '/tokens/other', await issueDevToken());

    // Assess
    expect(status).toBe(404);
    expect(event).toBeUndefined();
  });
});

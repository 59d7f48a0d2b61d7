/**
 * Real responses of the local server, success and every error it can be made
 * to answer, checked against the OpenAPI document's schemas.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import { DEV_ACCOUNT } from '../../functions/local/upstream-simulator.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { OPENAPI_DOCUMENT, responseNameOf } from '../../functions/token-broker/openapi.ts';
import { MAX_BODY_BYTES } from '../../functions/token-broker/request.ts';
import { captureLogger } from '../support/fakes.ts';
import { errorsOf, problemValidator, validateTokenResult } from '../support/openapi.ts';

const device = { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' };

let dir: string;
let keyFile: URL;
let token: string;
const servers: LocalServer[] = [];
const listeners: Server[] = [];

async function start(env: Record<string, string> = {}): Promise<LocalServer> {
  const server = await startLocalServer({
    metrics: NO_METRICS,
    env,
    port: 0,
    keyFile,
    logger: captureLogger(),
  });
  servers.push(server);
  return server;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  listeners.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function secretFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const post = (url: string, init: { body?: string; headers?: Record<string, string> } = {}) =>
  fetch(`${url}/tokens`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...init.headers,
    },
    body: init.body ?? JSON.stringify({ devices: [device] }),
  });

/** Checks a problem response against its status's schema; returns its code. */
async function expectDocumentedProblem(response: Response): Promise<string> {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = await response.json();
  const validate = problemValidator(responseNameOf(response.status));
  expect(validate(body), errorsOf(validate)).toBe(true);
  return body.code;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vtb-openapi-'));
  keyFile = pathToFileURL(join(dir, 'issuer-key.json'));
  token = await issueDevToken({ keyFile });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(
    listeners.map(
      (l) =>
        new Promise((resolve) => {
          l.closeAllConnections();
          l.close(resolve);
        }),
    ),
  );
  await rm(dir, { recursive: true, force: true });
});

describe('local server against the OpenAPI document', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await start();
  });

  it('serves the document at GET /openapi.json', async () => {
    // Act
    const response = await fetch(`${server.url}/openapi.json`);
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
  });

  it('answers 200 with a documented token result', async () => {
    // Act
    const response = await post(server.url, {
      body: JSON.stringify({ devices: [device, { productKey: 'pk2', deviceName: 'cam-2' }] }),
    });
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(validateTokenResult(body), errorsOf(validateTokenResult)).toBe(true);
    expect(body.tokens).toHaveLength(2);
  });

  it('fails when the body breaks a rule, with a documented 400 naming the field', async () => {
    // Act
    const response = await post(server.url, {
      body: JSON.stringify({ devices: [{ productKey: 'pk', deviceName: 'bad name' }] }),
    });
    // Assess
    expect(response.status).toBe(400);
    expect(await expectDocumentedProblem(response)).toBe('INVALID_REQUEST');
  });

  it('fails when no bearer token is sent, with a documented 401', async () => {
    // Act
    const response = await post(server.url, { headers: { authorization: '' } });
    // Assess
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await expectDocumentedProblem(response)).toBe('UNAUTHENTICATED');
  });

  it('fails when the route is unknown, with a documented 404', async () => {
    // Act
    const response = await fetch(`${server.url}/token`, { method: 'POST' });
    // Assess
    expect(response.status).toBe(404);
    expect(await expectDocumentedProblem(response)).toBe('NOT_FOUND');
  });

  it('fails when the method is not POST, with a documented 405', async () => {
    // Act
    const response = await fetch(`${server.url}/tokens`, {
      headers: { authorization: `Bearer ${token}` },
    });
    // Assess
    expect(response.status).toBe(405);
    expect(await expectDocumentedProblem(response)).toBe('METHOD_NOT_ALLOWED');
  });

  it('fails when the body is too large, with a documented 413', async () => {
    // Act
    const response = await post(server.url, { body: 'x'.repeat(MAX_BODY_BYTES + 1) });
    // Assess
    expect(response.status).toBe(413);
    expect(await expectDocumentedProblem(response)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('fails when the body is not JSON, with a documented 415', async () => {
    // Act
    const response = await post(server.url, { headers: { 'content-type': 'text/plain' } });
    // Assess
    expect(response.status).toBe(415);
    expect(await expectDocumentedProblem(response)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('local server with a faulty upstream or secret, against the OpenAPI document', () => {
  it('fails when the upstream refuses connections, with a documented 502', async () => {
    // Prepare
    const refusing = await listen(() => {});
    await new Promise((resolve) => listeners.pop()?.close(resolve));
    const server = await start({ UPSTREAM_URL: refusing, UPSTREAM_MAX_RETRIES: '0' });
    // Act
    const response = await post(server.url);
    // Assess
    expect(response.status).toBe(502);
    expect(await expectDocumentedProblem(response)).toBe('UPSTREAM_ERROR');
  });

  it('fails when the upstream rejects the login, with a documented 502', async () => {
    // Prepare
    const wrong = await secretFile(
      'wrong.json',
      JSON.stringify({ ...DEV_ACCOUNT, password: 'not-the-password' }),
    );
    const server = await start({ BROKER_SECRET_FILE: wrong });
    // Act
    const response = await post(server.url);
    // Assess
    expect(response.status).toBe(502);
    expect(await expectDocumentedProblem(response)).toBe('UPSTREAM_REJECTED');
  });

  it('fails when the upstream never answers, with a documented 504', async () => {
    // Prepare
    const hanging = await listen(() => {});
    const server = await start({
      UPSTREAM_URL: hanging,
      UPSTREAM_TIMEOUT_MS: '100',
      UPSTREAM_MAX_RETRIES: '0',
    });
    // Act
    const response = await post(server.url);
    // Assess
    expect(response.status).toBe(504);
    expect(await expectDocumentedProblem(response)).toBe('UPSTREAM_TIMEOUT');
  });

  it('fails when the secret is malformed, with a documented 500', async () => {
    // Prepare: a good secret at start (a bad one stops the start), spoilt before the first request.
    const malformed = await secretFile('malformed.json', JSON.stringify(DEV_ACCOUNT));
    const server = await start({ BROKER_SECRET_FILE: malformed });
    await writeFile(malformed, '{"userName":');
    // Act
    const response = await post(server.url);
    // Assess
    expect(response.status).toBe(500);
    expect(await expectDocumentedProblem(response)).toBe('CONFIGURATION_ERROR');
  });
});

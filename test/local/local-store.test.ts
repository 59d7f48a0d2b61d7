/**
 * `npm start` with TOKEN_TABLE: the store only on a loopback engine, the
 * table created when missing by processes starting at once, and the
 * per-process counters of `GET /__local/stats`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevVerifier, issueDevToken } from '../../functions/local/dev-issuer.ts';
import { loopbackEndpoint } from '../../functions/local/local-store.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import { ConfigurationError } from '../../functions/token-broker/errors.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { type Dynalite, startDynalite } from '../support/dynalite.ts';
import { captureLogger } from '../support/fakes.ts';

describe('the local store endpoint', () => {
  it.each([
    ['unset', undefined],
    ['a remote host', 'https://dynamodb.eu-west-1.amazonaws.com'],
    ['the instance metadata address', 'http://169.254.169.254'],
    ['a host merely starting with 127', 'http://127.0.0.1.example.com:8000'],
    ['not a URL', 'localhost:8000x'],
    ['another scheme', 'file://localhost/tmp/db'],
  ])('fails when AWS_ENDPOINT_URL_DYNAMODB is %s', (_, raw) => {
    // Act
    const act = () => loopbackEndpoint(raw);
    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(/AWS_ENDPOINT_URL_DYNAMODB must point at a DynamoDB engine on loopback/);
  });

  it.each(['http://127.0.0.1:8000', 'http://localhost:8000/', 'https://[::1]:8443'])(
    'accepts %s',
    (raw) => {
      // Act
      const endpoint = loopbackEndpoint(raw);
      // Assess
      expect(new URL(endpoint).origin).toBe(endpoint);
    },
  );
});

describe('npm start with TOKEN_TABLE on dynalite', () => {
  let dir: string;
  let keyFile: URL;
  let engine: Dynalite;
  let servers: LocalServer[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vtb-local-store-'));
    keyFile = pathToFileURL(join(dir, 'issuer-key.json'));
    await createDevVerifier(keyFile);
    engine = await startDynalite();
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts three servers at once on a missing table, and the second serves the first one’s token from L2', async () => {
    // Prepare
    const env = {
      TOKEN_TABLE: 'local-start-race',
      AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
      LOGIN_GATHER_MS: '0',
    };
    const start = () =>
      startLocalServer({ metrics: NO_METRICS, env, port: 0, keyFile, logger: captureLogger() });
    const ask = (server: LocalServer, token: string) =>
      fetch(`${server.url}/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ devices: [{ productKey: 'pkA', deviceName: 'dev1' }] }),
      });
    const token = await issueDevToken({ keyFile });

    // Act
    servers = await Promise.all([start(), start(), start()]);
    const [first, second] = servers as [LocalServer, LocalServer];
    const a = await ask(first, token);
    const b = await ask(second, token);

    // Assess
    expect(engine.requests.get('CreateTable')).toBeGreaterThanOrEqual(1);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await b.json()).tokens[0].visualToken).toBe((await a.json()).tokens[0].visualToken);
    const stats = (server: LocalServer) =>
      fetch(`${server.url}/__local/stats`).then((r) => r.json() as Promise<Record<string, number>>);
    expect(await stats(first)).toMatchObject({ upstreamLogins: 1, storeHits: 0, leasesTaken: 1 });
    expect(await stats(second)).toMatchObject({ upstreamLogins: 0, storeHits: 1, cacheHits: 0 });
    expect(first.storeDescription).toContain('table local-start-race');
  });

  it.each([
    ['an Origin header', { origin: 'http://127.0.0.1:4001' }, 'GET', 403],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }, 'GET', 403],
    ['a POST', {}, 'POST', 405],
  ])('fails when GET /__local/stats comes with %s', async (_, headers, method, status) => {
    // Prepare
    const server = servers[0] as LocalServer;
    // Act
    const response = await fetch(`${server.url}/__local/stats`, { method, headers });
    // Assess
    expect(response.status).toBe(status);
    expect(await response.text()).not.toContain('{');
  });
});

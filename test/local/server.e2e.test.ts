import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.ts';

const device = { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' };

describe('npm start, end to end over HTTP', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer();
  });
  afterAll(() => server.stop());

  it('prints a curl command that works as printed', async () => {
    // Prepare
    const curl = server
      .output()
      .split('\n')
      .find((line) => line.startsWith('curl '));
    expect(curl).toBeDefined();
    // Act
    const stdout = execFileSync('sh', ['-c', curl as string], { encoding: 'utf8' });
    // Assess
    const body = JSON.parse(stdout);
    expect(body.failures).toEqual([]);
    expect(body.tokens).toEqual([
      expect.objectContaining({
        ...device,
        visualToken: expect.stringMatching(/^eyJ/),
        expiresIn: expect.any(Number),
      }),
    ]);
  });

  it('returns tokens for a dev token from the issuer', async () => {
    // Prepare
    const token = await issueDevToken();
    // Act
    const response = await fetch(`${server.url}/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ devices: [device, { productKey: 'pk2', deviceName: 'cam-2' }] }),
    });
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(body.tokens.map((t: { deviceName: string }) => t.deviceName)).toEqual([
      '2ac4d7cffa',
      'cam-2',
    ]);
  });

  it('fails when there is no bearer token, with 401 problem+json', async () => {
    // Act
    const response = await fetch(`${server.url}/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ devices: [device] }),
    });
    // Assess
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });

  it('fails when the route is unknown, with 404', async () => {
    // Act
    const response = await fetch(`${server.url}/nope`);
    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('logs one request line per request (beside its audit line)', () => {
    // Assess
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const requests = lines.filter((l) => l.message === 'token request');
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests[0]).toMatchObject({
      level: 'info',
      kind: 'http-api-v2',
      outcome: 'OK',
      deviceCount: 1,
    });
  });
});

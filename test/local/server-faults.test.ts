/**
 * The fault and signature switches of `npm start`, through the real local
 * server and its built-in simulator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';

let server: LocalServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

async function start(env: Record<string, string>) {
  dir = await mkdtemp(join(tmpdir(), 'vtb-'));
  const keyFile = pathToFileURL(join(dir, 'key.json'));
  server = await startLocalServer({
    metrics: NO_METRICS,
    env,
    port: 0,
    keyFile,
    logger: captureLogger(),
  });
  const token = await issueDevToken({ keyFile });
  return (devices: object[]) =>
    fetch(`${server?.url}/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ devices }),
    });
}

const device = { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' };

describe('npm start switches', () => {
  it('signs logins when SIMULATOR_GATEWAY_AUTH=signature, and the simulator verifies them', async () => {
    // Prepare
    const post = await start({ SIMULATOR_GATEWAY_AUTH: 'signature' });
    // Act
    const response = await post([device]);
    // Assess
    expect(response.status).toBe(200);
    expect((await response.json()).tokens).toHaveLength(1);
    expect(server?.simulator?.logins[0]?.headers['x-ca-signature']).toEqual(expect.any(String));
    expect(server?.simulator?.logins[0]?.headers.authorization).toBeUndefined();
  });

  it('plays SIMULATOR_FAULT from the start: status-503 forever ends in 502 after the retries', async () => {
    // Prepare
    const post = await start({ SIMULATOR_FAULT: 'status-503', UPSTREAM_MAX_RETRIES: '1' });
    // Act
    const response = await post([device]);
    // Assess
    expect(response.status).toBe(502);
    expect((await response.json()).code).toBe('UPSTREAM_ERROR');
    expect(server?.simulator?.requests()).toBe(2);
  });

  it('fails to start when SIMULATOR_FAULT is unknown, naming the valid faults', async () => {
    // Act
    const attempt = startLocalServer({
      metrics: NO_METRICS,
      env: { SIMULATOR_FAULT: 'explode' },
      port: 0,
    });
    // Assess
    await expect(attempt).rejects.toThrow(/unknown simulator fault "explode"/);
  });
});

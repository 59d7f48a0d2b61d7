/**
 * The fault and signature switches of `npm start`, through the real local
 * server and its built-in simulator.
 */
import { describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { localServerPerTest } from '../support/local-server.ts';

const startLocal = localServerPerTest();
let server: LocalServer | undefined;

/** Starts the server on `env`; the poster of device lists. */
async function start(env: Record<string, string>) {
  const started = await startLocal(env);
  server = started.server;
  return (devices: object[]) => started.post(devices);
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

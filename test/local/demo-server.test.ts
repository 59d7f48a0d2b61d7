/**
 * `npm run demo` tells the truth about CORS: on the default port the local
 * broker allows the page's origin; on a DEMO_PORT of its own, it prints the
 * exact CORS_ALLOWED_ORIGINS with which a broker then does allow it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { demoNotice } from '../../examples/demo-server.ts';
import { startLocalServer } from '../../functions/local/server.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `npm run demo`'s entry with `env` until it prints its second line. */
function runDemo(env: Record<string, string>) {
  const child = spawn(process.execPath, ['examples/demo-server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.split('\n').length > 2) child.kill('SIGTERM');
  });
  child.stderr.on('data', (chunk) => {
    out += chunk;
  });
  return new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
}

describe('npm run demo', () => {
  it('claims the default origin is allowed only when it is the broker’s port + 1', () => {
    // Act
    const onDefault = demoNotice(3000, 'http://127.0.0.1:3001');
    const elsewhere = demoNotice(3000, 'http://127.0.0.1:4000');
    // Assess
    expect(onDefault).toContain('allows this origin by default');
    expect(elsewhere).not.toContain('allows this origin by default');
    expect(elsewhere).toContain('CORS_ALLOWED_ORIGINS=http://127.0.0.1:4000 npm start');
  });

  it('prints, on a DEMO_PORT of its own, a CORS_ALLOWED_ORIGINS with which the broker allows the page', async () => {
    // Act
    const out = await runDemo({ DEMO_PORT: '0', PORT: '3000' });
    // Assess
    const origin = /demo page on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
    const setting = /CORS_ALLOWED_ORIGINS=(\S+) npm start/.exec(out)?.[1];
    expect(origin, out).toBeDefined();
    expect(setting).toBe(origin);
    const broker = await startLocalServer({
      env: { CORS_ALLOWED_ORIGINS: setting ?? '' },
      port: 0,
      logger: captureLogger(),
      metrics: NO_METRICS,
    });
    const preflight = await fetch(`${broker.url}/tokens`, {
      method: 'OPTIONS',
      headers: { origin: origin ?? '', 'access-control-request-method': 'POST' },
    });
    await broker.close();
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('fails when DEMO_PORT is not a port, naming DEMO_PORT', async () => {
    // Act
    const out = await runDemo({ DEMO_PORT: 'abc' });
    // Assess
    expect(out).toContain('DEMO_PORT must be a whole number from 0 to 65535');
  });
});

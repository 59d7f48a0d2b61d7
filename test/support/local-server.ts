/**
 * The in-process `npm start` server for one test at a time: each start gets
 * its own dev signing key in a fresh folder, and the server and the folder
 * are gone after the test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach } from 'vitest';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from './fakes.ts';

/** A started server, a dev token its issuer signed, and a `POST /tokens` of device lists. */
export interface StartedLocalServer {
  readonly server: LocalServer;
  readonly token: string;
  post(devices: readonly object[], signal?: AbortSignal): Promise<Response>;
}

/**
 * Registers the clean-up in the calling file or describe block, and gives
 * the function that starts a server on `env` (at most one per test).
 * @example
 * const start = localServerPerTest();
 * it('…', async () => { const { post } = await start({ SIMULATOR_FAULT: 'timeout' }); });
 */
export function localServerPerTest(): (env: Record<string, string>) => Promise<StartedLocalServer> {
  let server: LocalServer | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    server = undefined;
    dir = undefined;
  });
  return async (env) => {
    dir = await mkdtemp(join(tmpdir(), 'vtb-local-'));
    const keyFile = pathToFileURL(join(dir, 'key.json'));
    const started = await startLocalServer({
      metrics: NO_METRICS,
      env,
      port: 0,
      keyFile,
      logger: captureLogger(),
    });
    server = started;
    const token = await issueDevToken({ keyFile });
    const post = (devices: readonly object[], signal?: AbortSignal) =>
      fetch(`${started.url}/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ devices }),
        ...(signal === undefined ? {} : { signal }),
      });
    return { server: started, token, post };
  };
}

/**
 * `npm run demo`: serves examples/demo/ on a second loopback origin (the
 * broker's port + 1 by default), so the page calls the broker cross-origin
 * as a real frontend would.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import {
  DEFAULT_PORT,
  demoOrigins,
  LOCAL_ENV,
  parsePort,
} from '../functions/local/local-settings.ts';
import { ENV } from '../functions/token-broker/config.ts';

/** The files served, by URL path; nothing else is reachable. */
const FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/broker-client.js': { file: 'broker-client.js', type: 'text/javascript; charset=utf-8' },
};

const ROOT = new URL('./demo/', import.meta.url);

/**
 * The typed browser client, bundled from its TypeScript source when the
 * server starts, so the page always runs the client as it is in the tree.
 */
async function buildBrowserClient(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [new URL('../clients/browser-client.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced no browser client');
  return file.contents;
}

/** A running demo server. */
export interface DemoServer {
  /** The page's origin, e.g. `http://127.0.0.1:3001`. */
  readonly origin: string;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Serves the demo page on 127.0.0.1:`port` (0 picks a free one). */
export async function startDemoServer(port: number): Promise<DemoServer> {
  const client = await buildBrowserClient();
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/browser-client.js') {
      res
        .writeHead(200, {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        })
        .end(client);
      return;
    }
    const entry = FILES[path];
    if (req.method !== 'GET' || entry === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    try {
      const body = await readFile(new URL(entry.file, ROOT));
      res
        .writeHead(200, {
          'content-type': entry.type,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        })
        .end(body);
    } catch {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('Cannot read the demo file');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What to tell the developer about CORS once the page is served on
 * `demoOrigin`: the local broker on `brokerPort` allows its port + 1 by
 * default, and any other origin (a DEMO_PORT of its own) only when it is
 * started with that origin in CORS_ALLOWED_ORIGINS, which this then names.
 * @example
 * demoNotice(3000, 'http://127.0.0.1:4000');
 * // '… start it with CORS_ALLOWED_ORIGINS=http://127.0.0.1:4000 npm start …'
 */
export function demoNotice(brokerPort: number, demoOrigin: string): string {
  if (demoOrigins(brokerPort).includes(demoOrigin)) {
    return `(the local broker allows this origin by default; for another broker add ${demoOrigin} to its ${ENV.corsAllowedOrigins})`;
  }
  return `(the local broker allows only ${demoOrigins(brokerPort).join(' and ')} by default: start it with ${ENV.corsAllowedOrigins}=${demoOrigin} npm start, or the browser blocks its answers)`;
}

if (import.meta.main) {
  try {
    const brokerPort = parsePort(process.env[LOCAL_ENV.port], LOCAL_ENV.port, DEFAULT_PORT);
    const port = parsePort(process.env[LOCAL_ENV.demoPort], LOCAL_ENV.demoPort, brokerPort + 1);
    const demo = await startDemoServer(port);
    process.stdout.write(
      `demo page on ${demo.origin}/?broker=http://127.0.0.1:${brokerPort}\n${demoNotice(brokerPort, demo.origin)}\n`,
    );
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const hint = e.code === 'EADDRINUSE' ? ` (set ${LOCAL_ENV.demoPort} to another port)` : '';
    process.stderr.write(`demo server could not start: ${e.message}${hint}\n`);
    process.exit(1);
  }
}

import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { nodeHttpTransport } from '../../../functions/token-broker/upstream/http-transport.ts';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A loopback server answering every request with `answer`; counts TCP connections. */
async function serve(answer: (res: ServerResponse) => void) {
  const stats = { connections: 0, requests: 0 };
  server = createServer((req, res) => {
    stats.requests += 1;
    req.resume();
    req.on('end', () => answer(res));
  });
  server.on('connection', () => {
    stats.connections += 1;
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/login`), stats };
}

const post = (url: URL, signal: AbortSignal) => ({
  url,
  headers: { 'content-type': 'application/json' },
  body: new TextEncoder().encode('{}'),
  signal,
  maxResponseBytes: 1024,
});

describe('node http transport', () => {
  test('keeps one connection for consecutive posts', async () => {
    // Prepare
    const { url, stats } = await serve((res) => res.end('{"ok":true}'));
    const transport = nodeHttpTransport();

    // Act
    const first = await transport.post(post(url, AbortSignal.timeout(5000)));
    const second = await transport.post(post(url, AbortSignal.timeout(5000)));

    // Assess
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.text).toBe('{"ok":true}');
    expect(stats).toEqual({ connections: 1, requests: 2 });
  });

  test('fails when a chunked body grows past the limit', async () => {
    // Prepare
    const { url } = await serve((res) => {
      res.write('x'.repeat(800));
      res.end('y'.repeat(800));
    });

    // Act
    const outcome = nodeHttpTransport().post(post(url, AbortSignal.timeout(5000)));

    // Assess
    await expect(outcome).rejects.toMatchObject({
      name: 'UpstreamError',
      message: 'Upstream response is larger than 1024 bytes',
    });
  });

  test('answers a redirect as it is, without following it', async () => {
    // Prepare
    const { url, stats } = await serve((res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    });

    // Act
    const response = await nodeHttpTransport().post(post(url, AbortSignal.timeout(5000)));

    // Assess
    expect(response.status).toBe(302);
    expect(response.header('location')).toBe('/elsewhere');
    expect(stats.requests).toBe(1);
  });

  test('fails when the signal is already aborted, with its reason, before sending', async () => {
    // Prepare
    const { url, stats } = await serve((res) => res.end('{}'));
    const reason = new Error('invocation ending');

    // Act
    const outcome = nodeHttpTransport().post(post(url, AbortSignal.abort(reason)));

    // Assess
    await expect(outcome).rejects.toBe(reason);
    expect(stats.requests).toBe(0);
  });
});

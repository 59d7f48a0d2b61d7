/**
 * What the local server and the simulator share to stay out of reach of web
 * pages: both listen on loopback, but a page the developer opens can still
 * send them requests (DNS rebinding, or a plain cross-site POST).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The Host values a loopback server on `port` answers to. A request naming
 * any other host is a DNS-rebinding attempt from a web page.
 */
export function loopbackHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

/** Whether the request names one of `hosts` in its Host header. */
export const fromLoopbackHost = (req: IncomingMessage, hosts: ReadonlySet<string>): boolean =>
  hosts.has(req.headers.host ?? '');

/**
 * Answers a refused request and closes the connection, so a body the
 * request still carries is never read: Node would otherwise drain it in
 * full to keep the connection alive.
 */
export function refuse(
  res: ServerResponse,
  statusCode: number,
  headers: Record<string, string>,
  body: string,
): void {
  res.writeHead(statusCode, {
    'cache-control': 'no-store',
    ...headers,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/** Refuses a request whose Host is not loopback: a DNS-rebinding attempt from a web page. */
export const refuseMisdirected = (res: ServerResponse): void =>
  refuse(
    res,
    421,
    { 'content-type': 'text/plain' },
    'Misdirected request: this server answers only to 127.0.0.1 and localhost\n',
  );

/**
 * Reads a body of at most `maxBytes`, counted as it arrives.
 * @returns the body, or undefined as soon as it grows past `maxBytes`.
 */
export async function readBodyUpTo(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The HTTP transport the login client posts through: a small port, so the
 * client stays testable against real loopback servers with any transport,
 * and its default over `node:https` (`node:http` for the local simulator).
 * The global `fetch` loads undici on its first call, and so does an ES
 * `import` of `node:http`, whose module namespace reads the lazy `WebSocket`
 * getters: ~30 ms of a cold start, measured (docs/performance.md). The
 * modules are therefore taken with `process.getBuiltinModule`, and
 * `node:http` only when a URL needs it.
 */
import type * as Http from 'node:http';
import { UpstreamError } from '../errors.ts';

/** One POST to send. */
export interface TransportRequest {
  /** Absolute http(s) URL. */
  readonly url: URL;
  /** Request headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Request body. */
  readonly body: Uint8Array;
  /** Aborts the request and the reading of its answer. */
  readonly signal: AbortSignal;
  /** Largest response body accepted, in bytes. */
  readonly maxResponseBytes: number;
}

/** The answer, body read in full. */
export interface TransportResponse {
  /** HTTP status. */
  readonly status: number;
  /** A response header by lower-case name; undefined when absent. */
  header(name: string): string | undefined;
  /** The body as UTF-8 text. */
  readonly text: string;
}

/** The transport port of the login client. */
export interface HttpTransport {
  /**
   * Sends a POST and reads the whole answer. Never follows a redirect.
   * @throws UpstreamError when the body exceeds the limit; the signal's reason
   *   when aborted; the socket's error otherwise.
   */
  post(request: TransportRequest): Promise<TransportResponse>;
}

/** Options of {@link nodeHttpTransport}. */
export interface NodeHttpTransportOptions {
  /**
   * Keep connections open between logins, so a warm container's next login
   * skips the TCP and TLS handshakes.
   * @default true
   */
  readonly keepAlive?: boolean;
}

/** A transport over `node:http` and `node:https` (by the URL's scheme). */
export function nodeHttpTransport(options: NodeHttpTransportOptions = {}): HttpTransport {
  const keepAlive = options.keepAlive ?? true;
  type Scheme = { readonly request: typeof Http.request; readonly agent: Http.Agent };
  const schemes = new Map<string, Scheme>();
  const scheme = (protocol: string): Scheme => {
    let found = schemes.get(protocol);
    if (found === undefined) {
      const mod =
        protocol === 'https:'
          ? process.getBuiltinModule('node:https')
          : process.getBuiltinModule('node:http');
      found = { request: mod.request, agent: new mod.Agent({ keepAlive }) };
      schemes.set(protocol, found);
    }
    return found;
  };
  return {
    post({ url, headers, body, signal, maxResponseBytes }) {
      return new Promise<TransportResponse>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const { request, agent } = scheme(url.protocol);
        const req = request(url, {
          method: 'POST',
          headers: { ...headers, 'content-length': String(body.byteLength) },
          agent,
          signal,
        });
        req.once('error', reject);
        req.once('response', (res) => {
          const declared = Number(res.headers['content-length']);
          if (Number.isFinite(declared) && declared > maxResponseBytes) {
            res.destroy();
            reject(new UpstreamError(`Upstream response is larger than ${maxResponseBytes} bytes`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.byteLength;
            if (size > maxResponseBytes) {
              res.destroy();
              reject(
                new UpstreamError(`Upstream response is larger than ${maxResponseBytes} bytes`),
              );
              return;
            }
            chunks.push(chunk);
          });
          res.once('error', reject);
          res.once('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              header: (name) => {
                const value = res.headers[name];
                return Array.isArray(value) ? value.join(', ') : value;
              },
              text,
            });
          });
        });
        req.end(body);
      });
    },
  };
}

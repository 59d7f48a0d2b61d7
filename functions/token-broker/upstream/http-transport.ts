/**
 * The HTTP transport the login client posts through: a small port, so the
 * client stays testable against real loopback servers with any transport,
 * and its default over `node:http`/`node:https`. Those modules are already
 * loaded by the AWS SDK's request handler at start-up, whereas the global
 * `fetch` loads undici on its first call (~14 ms of a cold start measured
 * here; see the README's Performance section).
 */
import * as http from 'node:http';
import * as https from 'node:https';
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
  const agents = {
    'http:': new http.Agent({ keepAlive }),
    'https:': new https.Agent({ keepAlive }),
  };
  return {
    post({ url, headers, body, signal, maxResponseBytes }) {
      return new Promise<TransportResponse>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const isHttps = url.protocol === 'https:';
        const send = isHttps ? https.request : http.request;
        const req = send(url, {
          method: 'POST',
          headers: { ...headers, 'content-length': String(body.byteLength) },
          agent: isHttps ? agents['https:'] : agents['http:'],
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

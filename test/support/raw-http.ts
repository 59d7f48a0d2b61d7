/**
 * One HTTP request with exactly the headers given (fetch adds and forbids
 * some), and a body that may be cut short of its declared length, to see
 * whether a server answers before reading it all.
 */
import { request } from 'node:http';

/** What {@link rawRequest} sends. */
export interface RawRequest {
  /** Base URL of the server, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** Path and query. */
  readonly path: string;
  /** @default 'POST' */
  readonly method?: string;
  /** Headers, sent as they are (a `host` here overrides the real one). */
  readonly headers?: Record<string, string>;
  /** Body bytes written. */
  readonly body?: string | Buffer;
  /**
   * A Content-Length larger than `body`: the rest is never sent, so only a
   * server that answers without reading it all answers at all.
   */
  readonly declaredLength?: number;
  /**
   * How long to wait for an answer before giving up with status 0.
   * @default 3000
   */
  readonly timeoutMs?: number;
}

/** The answer, or status 0 if none came in time. */
export interface RawResponse {
  /** HTTP status; 0 when no answer came in time. */
  readonly status: number;
  /** Response headers, lower case. */
  readonly headers: Record<string, string | string[] | undefined>;
  /** Response body as UTF-8. */
  readonly body: string;
}

/** Sends `req` and waits for the answer (or the timeout). */
export function rawRequest(req: RawRequest): Promise<RawResponse> {
  const url = new URL(req.url);
  const body = req.body ?? '';
  return new Promise((resolve) => {
    const headers = {
      ...(req.declaredLength === undefined ? {} : { 'content-length': String(req.declaredLength) }),
      ...req.headers,
    };
    const outgoing = request(
      { host: url.hostname, port: url.port, method: req.method ?? 'POST', path: req.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          outgoing.destroy();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy();
      resolve({ status: 0, headers: {}, body: '' });
    }, req.timeoutMs ?? 3000);
    // The server may close the connection while the body is still going out.
    outgoing.on('error', () => {});
    if (req.declaredLength === undefined) outgoing.end(body);
    else outgoing.write(body);
  });
}

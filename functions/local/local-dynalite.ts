/**
 * An embedded DynamoDB engine for `npm run fleet` and the benchmark:
 * dynalite (a devDependency), in memory, on loopback. Pure JS, offline,
 * honours conditional writes; it lacks only UpdateTimeToLive, which the
 * broker does not need since it checks expiry itself.
 */
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';

type DynaliteFactory = (options: {
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
  ssl?: boolean;
  key?: string;
  cert?: string;
  ca?: string;
}) => Server;

/** Options of {@link startLocalDynalite}. */
export interface LocalDynaliteOptions {
  /**
   * Serve https with this key and certificate (PEM), as the service does;
   * the benchmark's cold start uses it so the SDK loads what it loads in Lambda.
   * @default plain http
   */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** A running engine. */
export interface LocalDynalite {
  /** Endpoint URL, for AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpoint: string;
  /** Requests received so far. */
  requests(): number;
  /** Stops the engine; the data is lost. Idempotent. */
  close(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1, on a free port. Tables are created by their users. */
export async function startLocalDynalite(
  options: LocalDynaliteOptions = {},
): Promise<LocalDynalite> {
  // dynalite is CommonJS without type declarations; loaded here only, never by the Lambda bundle.
  const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.tls
      ? { ssl: true, key: options.tls.key, cert: options.tls.cert, ca: options.tls.cert }
      : {}),
  });
  let requests = 0;
  let active = 0;
  server.on('request', (_req: unknown, res: { once(event: string, fn: () => void): void }) => {
    requests += 1;
    active += 1;
    res.once('close', () => {
      active -= 1;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests: () => requests,
    close() {
      closed ??= (async () => {
        // dynalite closes its database with the server: a request still
        // queued inside it would then throw out of the process. Let them end.
        for (const end = Date.now() + 5000; active > 0 && Date.now() < end; ) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await new Promise<void>((resolve) => {
          (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
          server.close(() => resolve());
        });
      })();
      return closed;
    },
  };
}

/**
 * Loopback stand-ins for a DynamoDB endpoint that misbehaves, shared by the
 * store's and the fleet's fault tests: one that accepts connections and
 * never answers, and one that answers every request with a throttle.
 */
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';

/** A started fault server. */
export interface FaultServer {
  /** Endpoint URL for the SDK. */
  readonly endpoint: string;
  /** Connections (hanging) or requests (throttling) received so far. */
  readonly count: () => number;
  /** Stops it, dropping open connections. */
  close(): Promise<void>;
}

const endpointOf = (server: { address(): unknown }) =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** A server that accepts every connection and never answers. */
export async function startHangingServer(): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: endpointOf(server),
    count: () => connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A server that answers every request as DynamoDB does when throttling. */
export async function startThrottlingServer(): Promise<FaultServer> {
  let requests = 0;
  const server = createHttpServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message: 'The level of configured provisioned throughput for the table was exceeded.',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: endpointOf(server),
    count: () => requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const THROTTLE_TYPE = 'com.amazonaws.dynamodb.v20120810#ThrottlingException';

/** Options of {@link startSlowEngine}. */
export interface SlowEngineOptions {
  /** How long each request is held before it is passed on, ms. */
  readonly delayMs: number;
  /**
   * Requests answered with a throttle first, before any is passed on.
   * @default 0
   */
  readonly throttleFirst?: number;
}

/**
 * A slow DynamoDB engine: a loopback proxy in front of a real one
 * (dynalite) that holds every request for `delayMs` before passing it on,
 * and can throttle the first few, as a loaded moto or DynamoDB Local does.
 */
export async function startSlowEngine(
  target: string,
  options: SlowEngineOptions,
): Promise<FaultServer> {
  let requests = 0;
  let throttles = options.throttleFirst ?? 0;
  const server = createHttpServer((req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (throttles > 0) {
        throttles--;
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: THROTTLE_TYPE, message: 'Rate exceeded' }));
        return;
      }
      setTimeout(async () => {
        try {
          const answer = await fetch(`${target}${req.url ?? '/'}`, {
            method: req.method ?? 'POST',
            headers: Object.fromEntries(
              Object.entries(req.headers).flatMap(([k, v]) =>
                typeof v === 'string' && k !== 'host' && k !== 'connection' ? [[k, v]] : [],
              ),
            ),
            body: Buffer.concat(chunks),
          });
          const body = Buffer.from(await answer.arrayBuffer());
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.0',
          });
          res.end(body);
        } catch {
          res.destroy();
        }
      }, options.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: endpointOf(server),
    count: () => requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

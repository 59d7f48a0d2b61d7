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

/**
 * Throughput reference: a bare node:http server answering every request with
 * the bytes given in argv[2] (JSON: status, headers, body), as the broker's
 * local server answers a cache hit. Prints its URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const { status, headers, body } = JSON.parse(process.argv[2] ?? '{}') as {
  status: number;
  headers: Record<string, string>;
  body: string;
};
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(status, headers);
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `bare ready on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`,
  );
});

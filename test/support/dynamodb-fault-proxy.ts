/**
 * A fault-injecting DynamoDB endpoint for the fleet's real-process tests
 * (issue 20): a loopback proxy in front of a real engine (dynalite) that
 * counts every request by operation and, per rule, hangs it, answers a 500
 * or a throttle, answers a BatchGetItem with every key unprocessed, as
 * DynamoDB does under load, or streams an answer of {@link HUGE_ANSWER_BYTES}.
 * Without a rule a request passes through unchanged.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a rule does to a request it matches. */
export type FaultKind = 'hang' | 'error500' | 'throttle' | 'unprocessed' | 'huge';

/** The size of a `huge` answer: 64 MiB, as in issue 20 #9. */
export const HUGE_ANSWER_BYTES = 64 * 1024 * 1024;

/** One rule: the operation it applies to, what it does, and how often. */
export interface FaultRule {
  /** The operation, as in `X-Amz-Target` after the dot (`BatchGetItem`, `UpdateItem`). */
  readonly operation: string;
  readonly kind: FaultKind;
  /** Only requests whose JSON body matches (a token write, a release); unset, every one. */
  readonly match?: RegExp;
  /** Requests it applies to before it lapses; unset, every one. */
  times?: number;
}

/** A running proxy. */
export interface DynamoDbFaultProxy {
  /** Its endpoint, for AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpoint: string;
  /** Requests received for `operation`, faulted ones included. */
  count(operation: string): number;
  /** Requests faulted by a rule, by operation. */
  faulted(operation: string): number;
  /** Adds a rule; the first live rule matching a request applies. */
  fault(operation: string, kind: FaultKind, only?: Pick<FaultRule, 'match' | 'times'>): void;
  /** Drops every rule: from now on every request passes. */
  heal(): void;
  /** Stops it, dropping open (hanging) connections. */
  close(): Promise<void>;
}

const JSON_TYPE = 'application/x-amz-json-1.0';
const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

/** The error answer DynamoDB gives for `type`. */
function errorAnswer(res: ServerResponse, status: number, type: string, message: string) {
  res.writeHead(status, { 'content-type': JSON_TYPE });
  res.end(JSON.stringify({ __type: `${ERROR_PREFIX}${type}`, message }));
}

/** A BatchGetItem answer that found nothing and left every key it was asked for unprocessed. */
function unprocessedAnswer(res: ServerResponse, body: Buffer) {
  const request = JSON.parse(body.toString('utf8')) as { RequestItems?: Record<string, unknown> };
  const items = request.RequestItems ?? {};
  res.writeHead(200, { 'content-type': JSON_TYPE });
  res.end(
    JSON.stringify({
      Responses: Object.fromEntries(Object.keys(items).map((table) => [table, []])),
      UnprocessedKeys: items,
    }),
  );
}

/** Passes the request on to `target` and its answer back, unchanged. */
async function forward(
  target: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer<ArrayBuffer>,
) {
  const skipped = new Set(['host', 'connection', 'content-length']);
  try {
    const answer = await fetch(`${target}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers: Object.fromEntries(
        Object.entries(req.headers).flatMap(([k, v]) =>
          typeof v === 'string' && !skipped.has(k) ? [[k, v]] : [],
        ),
      ),
      body,
    });
    const bytes = Buffer.from(await answer.arrayBuffer());
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? JSON_TYPE,
    });
    res.end(bytes);
  } catch {
    res.destroy();
  }
}

/**
 * A 200 answer of {@link HUGE_ANSWER_BYTES}, chunked with no declared length
 * (the harder case: only counting bytes can bound it), written as fast as
 * the client reads, until it has all been sent or the client hangs up.
 */
function hugeAnswer(res: ServerResponse) {
  res.writeHead(200, { 'content-type': JSON_TYPE });
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  let sent = 0;
  const more = () => {
    while (sent < HUGE_ANSWER_BYTES && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end();
  };
  res.on('close', () => res.removeAllListeners('drain'));
  more();
}

/** Applies `kind` to one request; `hang` answers nothing until the client gives up. */
function applyFault(kind: FaultKind, res: ServerResponse, body: Buffer) {
  if (kind === 'huge') hugeAnswer(res);
  else if (kind === 'error500')
    errorAnswer(res, 500, 'InternalServerError', 'Internal server error');
  else if (kind === 'throttle') {
    errorAnswer(res, 400, 'ProvisionedThroughputExceededException', 'Throughput exceeded');
  } else if (kind === 'unprocessed') unprocessedAnswer(res, body);
}

const bump = (counts: Map<string, number>, key: string) =>
  counts.set(key, (counts.get(key) ?? 0) + 1);

/** Starts the proxy on 127.0.0.1, in front of the engine at `target`. */
export async function startDynamoDbFaultProxy(target: string): Promise<DynamoDbFaultProxy> {
  const rules: FaultRule[] = [];
  const received = new Map<string, number>();
  const faulted = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
    bump(received, operation);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const rule = rules.find(
        (r) => r.operation === operation && (r.times ?? 1) > 0 && (r.match?.test(text) ?? true),
      );
      if (rule === undefined) return void forward(target, req, res, body);
      if (rule.times !== undefined) rule.times -= 1;
      bump(faulted, operation);
      applyFault(rule.kind, res, body);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    count: (operation) => received.get(operation) ?? 0,
    faulted: (operation) => faulted.get(operation) ?? 0,
    fault: (operation, kind, only = {}) => {
      rules.push({ operation, kind, ...only });
    },
    heal: () => {
      rules.length = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

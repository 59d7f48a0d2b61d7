/**
 * The front port of `npm run fleet`: hands each request to an idle
 * container and queues it while every container is busy, so each container
 * serves one request at a time, as a Lambda execution environment does.
 */
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { refuseStats, STATUS_TEXT } from './local-stats.ts';
import { fromLoopbackHost, loopbackHosts, refuse, refuseMisdirected } from './loopback-guard.ts';

/** Path of the front's own stats: every container's counters and the upstream's logins. */
export const FLEET_STATS_PATH = '/__fleet/stats';

/** What the front needs of a container. */
export interface FrontTarget {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** Called once each forwarded request has finished. */
  readonly served: () => void;
}

/** Options of {@link startFront}. */
export interface FrontOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** The containers, each handed one request at a time. */
  readonly targets: readonly FrontTarget[];
  /** Answers {@link FLEET_STATS_PATH}. */
  readonly stats: () => Promise<unknown>;
}

/** The running front. */
export interface Front {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** Requests waiting for an idle container right now. */
  queued(): number;
  /** Adds a container to the pool (a cold start joining the fleet). */
  add(target: FrontTarget): void;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

const withoutHopByHop = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(
    Object.entries(headers).filter(([name, v]) => v !== undefined && !HOP_BY_HOP.has(name)),
  ) as Record<string, string | string[]>;

/** The pool of containers: each handed to one request at a time, requests queued while none is idle. */
interface Pool {
  /** Resolves to an idle container, in arrival order. */
  acquire(): Promise<FrontTarget>;
  /** Hands `target` to the next waiting request, or back to the idle ones. */
  release(target: FrontTarget): void;
  /** Requests waiting for an idle container right now. */
  queued(): number;
}

function createPool(targets: readonly FrontTarget[]): Pool {
  const idle: FrontTarget[] = [...targets];
  const waiting: ((target: FrontTarget) => void)[] = [];
  return {
    acquire: () =>
      new Promise<FrontTarget>((resolve) => {
        const target = idle.shift();
        if (target) resolve(target);
        else waiting.push(resolve);
      }),
    release: (target) => {
      const next = waiting.shift();
      if (next) next(target);
      else idle.push(target);
    },
    queued: () => waiting.length,
  };
}

/** Hands `req` to the next idle container and pipes its answer back; the container is released once. */
async function forward(pool: Pool, agent: Agent, req: IncomingMessage, res: ServerResponse) {
  const target = await pool.acquire();
  let released = false;
  const done = () => {
    if (released) return;
    released = true;
    pool.release(target);
    target.served();
  };
  const upstream = request(
    {
      host: '127.0.0.1',
      port: target.port,
      method: req.method,
      path: req.url,
      // The container answers only to its own loopback Host.
      headers: { ...withoutHopByHop(req.headers), host: `127.0.0.1:${target.port}` },
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      answer.pipe(res);
      answer.once('end', done);
      answer.once('error', done);
      answer.once('close', done);
    },
  );
  upstream.once('error', () => {
    done();
    if (!res.headersSent) refuse(res, 502, { 'content-type': 'text/plain' }, 'Bad Gateway\n');
    else res.destroy();
  });
  req.pipe(upstream);
}

/** `GET /__fleet/stats`, for a developer's terminal only. */
function serveFleetStats(stats: FrontOptions['stats'], req: IncomingMessage, res: ServerResponse) {
  const refusal = refuseStats(req);
  if (refusal !== undefined) {
    return refuse(res, refusal, { 'content-type': 'text/plain' }, `${STATUS_TEXT[refusal]}\n`);
  }
  stats().then(
    (body) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    },
    () => refuse(res, 500, { 'content-type': 'text/plain' }, 'stats unavailable\n'),
  );
}

/** Starts the front on 127.0.0.1. */
export async function startFront(options: FrontOptions): Promise<Front> {
  const pool = createPool(options.targets);
  const agent = new Agent({ keepAlive: true });
  let hosts: ReadonlySet<string> = new Set();
  const server = createServer((req, res) => {
    if (!fromLoopbackHost(req, hosts)) return refuseMisdirected(res);
    if (new URL(req.url ?? '/', 'http://localhost').pathname === FLEET_STATS_PATH) {
      return serveFleetStats(options.stats, req, res);
    }
    forward(pool, agent, req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  hosts = loopbackHosts(port);
  return {
    url: `http://127.0.0.1:${port}`,
    queued: pool.queued,
    add: pool.release,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `npm run fleet`'s engine: an embedded dynalite, one shared upstream
 * simulator, N local "containers" (each a separate `node
 * functions/local/server.ts` process) and one front port that gives each
 * container one request at a time. Every process it starts, it stops.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ENV } from '../token-broker/config.ts';
import { FLEET_STATS_PATH, type Front, startFront } from './fleet-front.ts';
import { type LocalDynalite, startLocalDynalite } from './local-dynalite.ts';
import { DYNAMODB_ENDPOINT_ENV, LOCAL_ENV } from './local-settings.ts';
import { STATS_PATH } from './local-stats.ts';
import { readyUrl } from './ready-line.ts';
import { startUpstreamSimulator, type UpstreamSimulator } from './upstream-simulator.ts';

export { FLEET_STATS_PATH };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Table of the fleet's store. */
export const FLEET_TABLE = 'visual-token-broker-tokens';

/** How long a container may take to print its ready line. */
const START_TIMEOUT_MS = 20_000;

/** Output kept per container, for an error message. */
const OUTPUT_TAIL = 16 * 1024;

/** Settings the containers must not inherit: the fleet decides where they point. */
const NOT_INHERITED = [
  ENV.secretId,
  ENV.upstreamUrl,
  ENV.tokenTable,
  ENV.tokenStoreKeySecretId,
  DYNAMODB_ENDPOINT_ENV,
  LOCAL_ENV.port,
  LOCAL_ENV.secretFile,
  LOCAL_ENV.simulatorFault,
  LOCAL_ENV.simulatorGatewayAuth,
  LOCAL_ENV.storeEngine,
];

/** Options of {@link startFleet}. */
export interface FleetOptions {
  /** Containers. @default 3 */
  readonly containers?: number;
  /** Front port; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** With the fleet token store (TOKEN_TABLE on dynalite); false shows today's behaviour. @default true */
  readonly store?: boolean;
  /** Latency the simulator adds to every login, ms. @default 0 */
  readonly upstreamLatencyMs?: number;
  /** Extra environment of every container (settings such as TOKEN_STORE_TIMEOUT_MS). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Another upstream for the containers than the fleet's simulator (a test's
   * own loopback server); the simulator still starts, unused.
   * @default the fleet's simulator
   */
  readonly upstreamUrl?: string;
  /** Called when a container exits while the fleet is not stopping. */
  readonly onContainerExit?: (container: FleetContainer, code: number | null) => void;
}

/** One local "container". */
export interface FleetContainer {
  /** `c1`, `c2`, … */
  readonly name: string;
  /** Its own URL, bypassing the front. */
  readonly url: string;
  /** Its process id. */
  readonly pid: number;
  /** Process start to ready line, ms. */
  readonly startMs: number;
  /** Its counters (GET /__local/stats), or the last ones read once it is gone. */
  stats(): Promise<Record<string, number>>;
  /** Stops the process and waits for it. */
  stop(): Promise<void>;
}

/** A running fleet. */
export interface Fleet {
  /** The front URL. */
  readonly url: string;
  /** The containers, in start order. */
  readonly containers: readonly FleetContainer[];
  /** The shared upstream. */
  readonly simulator: UpstreamSimulator;
  /** The store's engine, when the store is on. */
  readonly dynalite: LocalDynalite | undefined;
  /** Starts one more container and adds it to the front's pool. */
  addContainer(): Promise<FleetContainer>;
  /** Every container's counters and the simulator's logins. */
  summary(): Promise<FleetSummary>;
  /** Stops the front, every container, the simulator and dynalite. Idempotent. */
  close(): Promise<void>;
}

/** What {@link Fleet.summary} reports. */
export interface FleetSummary {
  /** Per container, its counters by metric key. */
  readonly containers: { readonly name: string; readonly counts: Record<string, number> }[];
  /** Login calls the shared simulator received. */
  readonly upstreamLogins: number;
  /** Devices those logins asked for, repeats counted. */
  readonly upstreamDevices: number;
}

async function spawnContainer(
  name: string,
  env: Record<string, string>,
  onExit: (code: number | null) => void,
): Promise<FleetContainer> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['functions/local/server.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      exited = true;
      onExit(code);
      resolve();
    });
  });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    }
  };
  let url: string;
  try {
    url = await readyUrl(child, () => output, name, START_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  const startMs = performance.now() - t0;
  let last: Record<string, number> = {};
  return {
    name,
    url,
    pid: child.pid ?? 0,
    startMs,
    stats: async () => {
      if (exited) return last;
      try {
        const response = await fetch(`${url}${STATS_PATH}`, { signal: AbortSignal.timeout(2000) });
        if (response.ok) last = (await response.json()) as Record<string, number>;
      } catch {
        // Gone or busy: the last counters read stand.
      }
      return last;
    },
    stop,
  };
}

/** Starts the fleet. On any failure, stops what it had started and throws. */
export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const count = options.containers ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new Error(`containers must be a whole number from 1 to 64, got ${count}`);
  }
  const latency = options.upstreamLatencyMs ?? 0;
  const containers: FleetContainer[] = [];
  let simulator: UpstreamSimulator | undefined;
  let dynalite: LocalDynalite | undefined;
  let front: Front | undefined;
  let stopping = false;
  let closed: Promise<void> | undefined;
  const close = () => {
    stopping = true;
    closed ??= (async () => {
      await front?.close();
      await Promise.all(containers.map((c) => c.stop()));
      await simulator?.close();
      await dynalite?.close();
    })();
    return closed;
  };
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !NOT_INHERITED.includes(e[0]),
    ),
  );
  let started = 0;
  const start = async () => {
    started += 1;
    const name = `c${started}`;
    const env = {
      ...inherited,
      // As in Lambda: one request at a time leaves nothing to gather.
      [ENV.loginGatherMs]: inherited[ENV.loginGatherMs] ?? '0',
      [ENV.logLevel]: inherited[ENV.logLevel] ?? 'warn',
      ...options.env,
      [LOCAL_ENV.port]: '0',
      [ENV.upstreamUrl]: options.upstreamUrl ?? simulator?.url ?? '',
      ...(dynalite
        ? {
            [ENV.tokenTable]: FLEET_TABLE,
            [DYNAMODB_ENDPOINT_ENV]: dynalite.endpoint,
            [LOCAL_ENV.storeEngine]: 'the fleet’s embedded dynalite',
          }
        : {}),
    };
    const container = await spawnContainer(name, env, (code) => {
      if (!stopping) options.onContainerExit?.(container, code);
    });
    containers.push(container);
    return container;
  };
  const refreshAfter = (container: FleetContainer) => () => {
    container.stats().catch(() => {});
  };
  const summary = async (): Promise<FleetSummary> => ({
    containers: await Promise.all(
      containers.map(async (c) => ({ name: c.name, counts: await c.stats() })),
    ),
    upstreamLogins: simulator?.logins.length ?? 0,
    upstreamDevices: simulator?.logins.reduce((n, l) => n + l.devices.length, 0) ?? 0,
  });
  try {
    simulator = await startUpstreamSimulator(
      latency > 0 ? { fault: { kind: 'delay', delayMs: latency } } : {},
    );
    if (options.store ?? true) dynalite = await startLocalDynalite();
    // Started together, as a scaling fleet's are: they race to create the table and the key.
    const starts = await Promise.allSettled(Array.from({ length: count }, start));
    const failed = starts.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    containers.sort((a, b) => Number(a.name.slice(1)) - Number(b.name.slice(1)));
    front = await startFront({
      port: options.port ?? 3000,
      targets: containers.map((c) => ({
        port: Number(new URL(c.url).port),
        served: refreshAfter(c),
      })),
      stats: summary,
    });
  } catch (error) {
    await close();
    throw error;
  }
  const ready = front;
  return {
    url: ready.url,
    containers,
    simulator,
    dynalite,
    addContainer: async () => {
      const container = await start();
      ready.add({ port: Number(new URL(container.url).port), served: refreshAfter(container) });
      return container;
    },
    summary,
    close,
  };
}

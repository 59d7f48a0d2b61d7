/**
 * One of `npm run fleet`'s local "containers": a separate `node
 * functions/local/server.ts` process on its own port, started, watched and
 * stopped here, so fleet.ts is about the fleet.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STATS_PATH } from './local-stats.ts';
import { readyUrl } from './ready-line.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How long a container may take to print its ready line. */
const START_TIMEOUT_MS = 20_000;

/** Output kept per container, for an error message. */
const OUTPUT_TAIL = 16 * 1024;

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
  /** What it printed so far, its ready line included (the last 16 KiB). */
  output(): string;
  /** Its counters (GET /__local/stats), or the last ones read once it is gone. */
  stats(): Promise<Record<string, number>>;
  /** Stops the process and waits for it. */
  stop(): Promise<void>;
}

/**
 * Starts `name` with exactly `env`, and resolves once it prints its ready line.
 * @param onExit - called when the process exits, whoever stopped it
 * @throws Error with its output when it exits or times out first (it is stopped then).
 */
export async function spawnContainer(
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
    output: () => output,
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

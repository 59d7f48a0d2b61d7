/**
 * Starts the local server exactly as `npm start` does (same entry file, same
 * Node), on a free port, and collects everything it prints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readyUrl } from '../../functions/local/ready-line.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A running server process. */
export interface SpawnedServer {
  /** Base URL parsed from the ready line. */
  readonly url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Stops the process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Spawns `node functions/local/server.ts` with `env` added to the environment. */
export async function spawnServer(env: Record<string, string> = {}): Promise<SpawnedServer> {
  const child: ChildProcess = spawn(process.execPath, ['functions/local/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const url = await readyUrl(child, () => output, 'server', 15_000);
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

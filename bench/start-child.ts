/**
 * Starts a benchmark child process (the local server, the bare server) and
 * waits for its ready line, with its output in a log file under `tmp`.
 */
import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../scripts/build.ts';

const NODE = process.execPath;

/** A started child: its URL from the ready line, and a stop that waits for its exit. */
export interface StartedChild {
  readonly url: string;
  stop(): Promise<void>;
}

/** Spawns `node ...args` in the project root with `env` added, and waits until `ready` matches its output. */
export async function startChild(
  tmp: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<StartedChild> {
  const logFile = path.join(tmp, `child-${Math.random().toString(36).slice(2)}.log`);
  const fd = await open(logFile, 'w');
  const child = spawn(NODE, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd.fd, fd.fd],
  });
  for (let i = 0; i < 300; i += 1) {
    const match = ready.exec(await readFile(logFile, 'utf8'));
    if (match?.[1]) {
      return {
        url: match[1],
        stop: async () => {
          child.kill('SIGTERM');
          await new Promise((r) => child.once('exit', r));
          await fd.close();
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${args.join(' ')} did not start: ${await readFile(logFile, 'utf8')}`);
}

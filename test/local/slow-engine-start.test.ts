/**
 * `npm start` with TOKEN_TABLE against a slow DynamoDB engine: several
 * processes started at once all create-or-find the table and print their
 * ready line, with table creation's own budget and retries rather than a
 * store request's 500 ms and one retry. The ready line names the engine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyUrl } from '../../functions/local/ready-line.ts';
import { type Dynalite, startDynalite } from '../support/dynalite.ts';
import { type FaultServer, startSlowEngine } from '../support/store-fault-servers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROCESSES = 6;
/** A slow answer, well inside table creation's per-call limit. */
const ENGINE_DELAY_MS = 900;

let engine: Dynalite;
let slow: FaultServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  engine = await startDynalite();
  // The first three requests of each process, on average, are throttled (more than a
  // store client's one retry absorbs), and every answer after them is slow.
  slow = await startSlowEngine(engine.endpoint, {
    delayMs: ENGINE_DELAY_MS,
    throttleFirst: 3 * PROCESSES,
  });
});

afterAll(async () => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await slow?.close();
  await engine?.close();
});

/** Spawns `npm start`'s entry with the table on `endpoint`; resolves to its ready line. */
async function start(endpoint: string): Promise<string> {
  const child = spawn(process.execPath, ['functions/local/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      TOKEN_TABLE: 'slow-engine-tokens',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      LOCAL_STORE_ENGINE: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  await readyUrl(child, () => output, 'server', 50_000);
  return output;
}

describe('npm start on a slow DynamoDB engine', () => {
  it(`starts ${PROCESSES} processes at once, each printing its ready line with the engine`, async () => {
    // Act
    const outputs = await Promise.all(
      Array.from({ length: PROCESSES }, () => start(slow.endpoint)),
    );
    // Assess
    for (const output of outputs) {
      expect(output).toContain(
        `  store:    table slow-engine-tokens on the DynamoDB engine at ${slow.endpoint}, key in .dev/token-store-key`,
      );
    }
    expect(engine.requests.get('CreateTable')).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

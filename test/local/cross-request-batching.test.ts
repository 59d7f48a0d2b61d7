/**
 * Cross-request batching over real HTTP against `npm start` (issue 11 point
 * 7): concurrent single-device requests each pass the JWT check in their own
 * event-loop turn, so only the local server's gather window lets their
 * misses share logins. Logins are counted at the simulator.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import {
  DEV_ACCOUNT,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.ts';

const REQUESTS = 100;

let dir: string;
let simulator: UpstreamSimulator;
let server: SpawnedServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vtb-gather-'));
  const secretFile = join(dir, 'secret.json');
  await writeFile(secretFile, JSON.stringify(DEV_ACCOUNT));
  simulator = await startUpstreamSimulator();
  // As `npm start` runs, with nothing set but where the secret and the
  // (counting) upstream are: LOGIN_GATHER_MS is the local server's default.
  server = await spawnServer({ UPSTREAM_URL: simulator.url, BROKER_SECRET_FILE: secretFile });
});

afterAll(async () => {
  await server?.stop();
  await simulator?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm start batches misses across concurrent requests', () => {
  it('serves 100 concurrent single-device requests with at most 20 logins', async () => {
    // Prepare
    const token = await issueDevToken();
    const post = (n: number) =>
      fetch(`${server.url}/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ devices: [{ productKey: 'pkGather', deviceName: `cam${n}` }] }),
      });
    const before = simulator.logins.length;
    // Act
    const responses = await Promise.all(Array.from({ length: REQUESTS }, (_, n) => post(n)));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    // Assess
    expect(responses.map((r) => r.status)).toEqual(Array(REQUESTS).fill(200));
    expect(bodies.every((b) => b.tokens.length === 1)).toBe(true);
    const logins = simulator.logins.slice(before);
    expect(logins.flatMap((l) => l.devices)).toHaveLength(REQUESTS);
    // 100 without the window; about 6 on a quiet machine. How many windows
    // the 100 JWT checks spread over depends on the machine's load (11 was
    // seen once in CI), so the bound proves the batching, not the machine.
    expect(logins.length).toBeLessThanOrEqual(20);
  });
});

/**
 * Cross-request batching over HTTP (issue 11 point 7): bursts of concurrent
 * single-device requests, every device a miss, against `npm start` spawned
 * as a developer runs it, with logins counted at an in-process simulator.
 * Run alone with `BENCH_ONLY=batching npm run bench`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { issueDevToken } from '../functions/local/dev-issuer.ts';
import { LOCAL_LOGIN_GATHER_MS } from '../functions/local/server.ts';
import { DEV_ACCOUNT, startUpstreamSimulator } from '../functions/local/upstream-simulator.ts';
import { DEFAULTS, ENV } from '../functions/token-broker/config.ts';
import { spawnServer } from '../test/support/spawn-server.ts';
import { median, quantile } from './stats.ts';

/** Concurrent requests in one burst, one new device each. */
export const BURST_REQUESTS = 100;

/** Bursts per gather setting. */
const ROUNDS = 7;

/** The figures of one gather setting. */
export interface GatherResult {
  /** LOGIN_GATHER_MS of the server. */
  readonly gatherMs: number;
  /** Logins per burst, one entry per round. */
  readonly logins: number[];
  /** Median logins per burst. */
  readonly medianLogins: number;
  /** Median request latency over every burst, from the burst's start, ms. */
  readonly p50Ms: number;
  /** 99th-percentile request latency, as p50Ms. */
  readonly p99Ms: number;
}

/** Measures bursts at LOGIN_GATHER_MS 0 (as in Lambda) and at the local server's default. */
export async function measureCrossRequestBatching(
  log: (line: string) => void = () => {},
): Promise<GatherResult[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'broker-bench-gather-'));
  const secretFile = path.join(dir, 'secret.json');
  await writeFile(secretFile, JSON.stringify(DEV_ACCOUNT));
  const simulator = await startUpstreamSimulator();
  const token = await issueDevToken();
  const results: GatherResult[] = [];
  let burst = 0;
  try {
    for (const gatherMs of [DEFAULTS.loginGatherMs, LOCAL_LOGIN_GATHER_MS]) {
      log(`cross-request batching at ${ENV.loginGatherMs}=${gatherMs}`);
      const server = await spawnServer({
        [ENV.upstreamUrl]: simulator.url,
        [ENV.loginGatherMs]: String(gatherMs),
        BROKER_SECRET_FILE: secretFile,
        LOG_LEVEL: 'warn',
      });
      const logins: number[] = [];
      const latencies: number[] = [];
      try {
        // One burst first, so the first connections and the secret read are not measured.
        for (let round = -1; round < ROUNDS; round += 1) {
          burst += 1;
          const before = simulator.logins.length;
          const t0 = performance.now();
          const statuses = await Promise.all(
            Array.from({ length: BURST_REQUESTS }, async (_, n) => {
              const response = await fetch(`${server.url}/tokens`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
                body: JSON.stringify({
                  devices: [{ productKey: 'pkGather', deviceName: `b${burst}cam${n}` }],
                }),
              });
              await response.arrayBuffer();
              if (round >= 0) latencies.push(performance.now() - t0);
              return response.status;
            }),
          );
          if (statuses.some((s) => s !== 200)) throw new Error(`burst answered ${statuses}`);
          if (round >= 0) logins.push(simulator.logins.length - before);
        }
      } finally {
        await server.stop();
      }
      results.push({
        gatherMs,
        logins,
        medianLogins: median(logins),
        p50Ms: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
      });
    }
  } finally {
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

/** The section of the bench report. */
export function crossRequestTable(results: readonly GatherResult[]): string[] {
  return [
    `**Cross-request batching over HTTP: ${BURST_REQUESTS} concurrent single-device requests → logins** (\`npm start\`, every device a miss, UPSTREAM_BATCH_SIZE ${DEFAULTS.upstreamBatchSize}, ${ROUNDS} bursts each)`,
    '',
    `| ${ENV.loginGatherMs} | logins per burst, median | min–max | p50 ms | p99 ms |`,
    '| ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.gatherMs}${r.gatherMs === LOCAL_LOGIN_GATHER_MS ? ' (local default)' : ' (Lambda default)'} | ${r.medianLogins} | ${Math.min(...r.logins)}–${Math.max(...r.logins)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} |`,
    ),
  ];
}

/**
 * The wide burst of issue 16 for `npm run bench`: K `npm start` processes
 * on one dynalite and an upstream with 40 ms logins, each asked at once for
 * the same D new devices in one request; device logins, distinct tokens per
 * device and request latency, over several rounds of new devices.
 */
import { issueDevToken } from '../functions/local/dev-issuer.ts';
import { startFleet } from '../functions/local/fleet.ts';
import { wideBurst } from '../test/support/wide-burst.ts';
import { quantile } from './stats.ts';
import { measureStoreWrites, type StoreWriteFigures, storeWritesTable } from './store-writes.ts';

/** The scenarios: [containers, devices]. */
export const BURSTS = [
  [4, 24],
  [8, 50],
  // Issue 20 #11: on one small machine this is the store engine's limit, not the fleet's.
  [8, 200],
] as const;

/** Rounds per scenario, each with new devices. */
const ROUNDS = 5;

/** One scenario's figures. */
export interface BurstFigures {
  readonly containers: number;
  readonly devices: number;
  /** Device logins per round. */
  readonly logins: readonly number[];
  /** Most distinct tokens any device got, per round. */
  readonly maxTokensPerDevice: readonly number[];
  /** Every request's latency, ms. */
  readonly latenciesMs: readonly number[];
  /** What the same counts of parallel conditional writes cost on dynalite. */
  readonly writes?: StoreWriteFigures;
}

/** Measures every scenario. */
export async function measureWideBursts(log: (line: string) => void): Promise<BurstFigures[]> {
  const bearer = `Bearer ${await issueDevToken()}`;
  const out: BurstFigures[] = [];
  for (const [containers, devices] of BURSTS) {
    log(`wide burst ${containers} × ${devices}`);
    // A request may name more devices than the default 50 only when allowed to.
    const env: Record<string, string> =
      devices > 50 ? { MAX_DEVICES_PER_REQUEST: String(devices) } : {};
    const fleet = await startFleet({ containers, port: 0, upstreamLatencyMs: 40, env });
    const logins: number[] = [];
    const maxTokensPerDevice: number[] = [];
    const latenciesMs: number[] = [];
    try {
      const urls = fleet.containers.map((c) => c.url);
      for (let round = 0; round < ROUNDS; round += 1) {
        const result = await wideBurst({ fleet, urls, devices, bearer, prefix: `b${round}d` });
        logins.push(result.deviceLogins);
        maxTokensPerDevice.push(
          Math.max(...[...result.tokensPerDevice.values()].map((s) => s.size)),
        );
        latenciesMs.push(...result.latenciesMs);
      }
    } finally {
      await fleet.close();
    }
    out.push({ containers, devices, logins, maxTokensPerDevice, latenciesMs });
  }
  const writes = await measureStoreWrites();
  return out.map((b) => ({
    ...b,
    ...(writes.find((w) => w.containers === b.containers && w.devices === b.devices)
      ? { writes: writes.find((w) => w.containers === b.containers && w.devices === b.devices) }
      : {}),
  }));
}

/** The Markdown table of {@link measureWideBursts}. */
export function wideBurstTable(figures: readonly BurstFigures[]): string[] {
  return [
    `**Wide burst** (issue 16): K \`npm start\` processes, one dynalite, 40 ms upstream logins; each asked at once for the same D new devices in one request; ${ROUNDS} rounds`,
    '',
    '| K × D | device logins per round (max) | tokens per device (max) | latency p50 | latency p99 |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...figures.map(
      (f) =>
        `| ${f.containers} × ${f.devices} | ${Math.max(...f.logins)} (target ≤ ${f.devices}) | ${Math.max(...f.maxTokensPerDevice)} | ${Math.round(quantile(f.latenciesMs, 0.5))} ms | ${Math.round(quantile(f.latenciesMs, 0.99))} ms |`,
    ),
    '',
    ...storeWritesTable(figures.flatMap((f) => (f.writes ? [f.writes] : []))),
  ];
}

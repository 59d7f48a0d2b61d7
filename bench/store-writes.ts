/**
 * What K containers × D parallel conditional writes cost on dynalite: the
 * figures the token store's per-call deadline rule is set from (issue 16,
 * docs/fleet.md). Each container is a separate process, as in `npm run
 * fleet`; dynalite runs in this one. Prints, per scenario, the p50 and max
 * over runs of the slowest container's batch, ms.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../scripts/build.ts';
import { startDynalite, TEST_TABLE } from '../test/support/dynalite.ts';
import { quantile } from './stats.ts';

const run = promisify(execFile);

/** The scenarios of issue 16 and 20: [containers, devices]. */
export const STORE_WRITE_SCENARIOS = [
  [4, 24],
  [8, 50],
  [8, 200],
] as const;

/** One scenario's figures. */
export interface StoreWriteFigures {
  readonly containers: number;
  readonly devices: number;
  /** The slowest container's batch, per run, ms. */
  readonly slowestMs: readonly number[];
}

/** Measures every scenario `runs` times. */
export async function measureStoreWrites(runs = 5): Promise<StoreWriteFigures[]> {
  const engine = await startDynalite();
  const out: StoreWriteFigures[] = [];
  try {
    for (const [containers, devices] of STORE_WRITE_SCENARIOS) {
      const slowestMs: number[] = [];
      for (let r = 0; r < runs; r += 1) {
        const startAt = Date.now() + 1500;
        const prefix = `${containers}x${devices}r${r}d`;
        const times = await Promise.all(
          Array.from({ length: containers }, () =>
            run(
              process.execPath,
              [
                'bench/store-writes-child.ts',
                engine.endpoint,
                TEST_TABLE,
                String(devices),
                String(startAt),
                prefix,
              ],
              { cwd: PROJECT_ROOT },
            ).then(({ stdout }) => Number(stdout.trim())),
          ),
        );
        slowestMs.push(Math.max(...times));
      }
      out.push({ containers, devices, slowestMs });
    }
  } finally {
    await engine.close();
  }
  return out;
}

/** The Markdown table of {@link measureStoreWrites}. */
export function storeWritesTable(figures: readonly StoreWriteFigures[]): string[] {
  return [
    '| containers × devices (parallel conditional writes) | slowest batch p50 | slowest batch max |',
    '|---|---|---|',
    ...figures.map(
      (f) =>
        `| ${f.containers} × ${f.devices} | ${Math.round(quantile(f.slowestMs, 0.5))} ms | ${Math.max(...f.slowestMs)} ms |`,
    ),
  ];
}

if (import.meta.main) {
  process.stdout.write(`${storeWritesTable(await measureStoreWrites()).join('\n')}\n`);
}

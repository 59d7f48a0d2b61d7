/**
 * The grants directory for `npm run bench` (issue 17): p50/p99 of a token
 * request whose grants come from the directory against one whose grants
 * come from the claim, both with the token store on, in-process on one
 * dynalite, wired as the Lambda entry wires them (one DynamoDB client, so
 * that the directory's read joins the store's). Two cases: an L1 hit (the
 * directory read is the request's one round trip) and a miss (it rides in
 * the store's BatchGetItem).
 */

import { GrantsClient } from '../clients/grants-client.ts';
import { DEV_ACCOUNT, startUpstreamSimulator } from '../functions/local/upstream-simulator.ts';
import { loadConfig } from '../functions/token-broker/config.ts';
import { GRANTS_TABLE_LAYOUT } from '../functions/token-broker/contract.ts';
import type { HttpResponse } from '../functions/token-broker/handler.ts';
import { NO_METRICS } from '../functions/token-broker/metrics.ts';
import { createRuntime } from '../functions/token-broker/runtime.ts';
import { ensureTable } from '../functions/token-broker/store/ensure-table.ts';
import { startDynalite, TEST_TABLE } from '../test/support/dynalite.ts';
import { httpApiEvent, lambdaContext } from '../test/support/events.ts';
import { captureLogger, fakeSecretSource } from '../test/support/fakes.ts';
import { quantile } from './stats.ts';

/** Requests per variant and case. */
const ROUNDS = 200;

/** One variant's latencies, ms. */
export interface GrantsFigures {
  readonly variant: 'claim' | 'directory';
  readonly hitMs: readonly number[];
  readonly missMs: readonly number[];
}

/** Measures both variants, interleaved request by request. */
export async function measureGrants(log: (line: string) => void): Promise<GrantsFigures[]> {
  const engine = await startDynalite();
  const sim = await startUpstreamSimulator({ account: DEV_ACCOUNT });
  try {
    const table = 'bench-grants';
    await ensureTable(engine.client, table, undefined, GRANTS_TABLE_LAYOUT.partitionKey);
    await new GrantsClient({ tableName: table, client: engine.newClient() }).add('user:dir', [
      'pkB/*',
    ]);
    const ask = (directory: boolean) => {
      const client = engine.newClient();
      const config = loadConfig(
        {
          SECRET_ID: 'bench/dev',
          UPSTREAM_URL: sim.url,
          TOKEN_TABLE: TEST_TABLE,
          TOKEN_STORE_KEY_SECRET_ID: 'bench/key',
          ...(directory ? { GRANTS_TABLE: table } : {}),
        },
        { allowLoopbackHttp: true },
      );
      const { handler } = createRuntime(config, {
        secretSource: fakeSecretSource(JSON.stringify(DEV_ACCOUNT)),
        tokenStore: { client, keySource: fakeSecretSource('k'.repeat(43)) },
        ...(directory ? { grantsDirectory: { client } } : {}),
        logger: captureLogger(),
        metrics: NO_METRICS,
      });
      const claims: Record<string, string> = directory
        ? { sub: 'dir' }
        : { sub: 'claim', devices: 'pkB/*' };
      return async (deviceName: string) => {
        const t0 = performance.now();
        const answer = (await handler(
          httpApiEvent({ body: { devices: [{ productKey: 'pkB', deviceName }] }, claims }),
          lambdaContext(),
        )) as HttpResponse;
        if (answer.statusCode !== 200)
          throw new Error(`bench request answered ${answer.statusCode}`);
        return performance.now() - t0;
      };
    };
    const variants = { claim: ask(false), directory: ask(true) };
    const out = new Map<'claim' | 'directory', { hitMs: number[]; missMs: number[] }>();
    for (const name of ['claim', 'directory'] as const) {
      out.set(name, { hitMs: [], missMs: [] });
      await variants[name]('warm');
    }
    log(`grants: ${ROUNDS} hits and ${ROUNDS} misses per variant`);
    for (let i = 0; i < ROUNDS; i += 1) {
      for (const name of ['claim', 'directory'] as const) {
        const figures = out.get(name) as { hitMs: number[]; missMs: number[] };
        figures.hitMs.push(await variants[name]('warm'));
        figures.missMs.push(await variants[name](`${name}-${i}`));
      }
    }
    return [...out].map(([variant, f]) => ({ variant, ...f }));
  } finally {
    await sim.close();
    await engine.close();
  }
}

/** The bench table's rows. */
export function grantsTable(figures: readonly GrantsFigures[]): string[] {
  const f1 = (ms: number) => ms.toFixed(1);
  return [
    '',
    `**Grants directory** (issue 17): one-device token requests, token store on, in-process on one dynalite, ${ROUNDS} of each, interleaved`,
    '',
    '| grants from | L1 hit p50 ms | L1 hit p99 ms | miss p50 ms | miss p99 ms |',
    '|---|---|---|---|---|',
    ...figures.map(
      (f) =>
        `| ${f.variant} | ${f1(quantile(f.hitMs, 0.5))} | ${f1(quantile(f.hitMs, 0.99))} | ${f1(quantile(f.missMs, 0.5))} | ${f1(quantile(f.missMs, 0.99))} |`,
    ),
  ];
}

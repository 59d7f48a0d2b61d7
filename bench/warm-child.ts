/**
 * Warm-handler child of the benchmark: imports the Lambda bundle (its env is
 * set by the parent: loopback Secrets Manager, https upstream, test CA),
 * warms the cache, then times cache hits of 1, 10 and 100 devices in
 * interleaved rounds, against `JSON.stringify` of the same response.
 * Prints one JSON line of samples summaries.
 */
import { pathToFileURL } from 'node:url';
import { httpApiEvent, lambdaContext } from '../test/support/events.ts';
import { quantile, shuffled } from './stats.ts';

const [bundle] = process.argv.slice(2);
if (bundle === undefined) throw new Error('usage: warm-child.ts <bundle.mjs>');

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };

// The per-request log line is built as in Lambda, but not written to the
// parent's pipe, whose cost is the terminal's, not the broker's.
const realWrite = process.stdout.write.bind(process.stdout);
let logLines = 0;
process.stdout.write = (() => {
  logLines += 1;
  return true;
}) as typeof process.stdout.write;

const SIZES = [1, 10, 100] as const;
const context = lambdaContext(10_000, 'bench-warm');
const events = new Map(
  SIZES.map((n) => [
    n,
    httpApiEvent({
      body: {
        devices: Array.from({ length: n }, (_, i) => ({
          productKey: 'pkBench',
          deviceName: `cam${i}`,
        })),
      },
    }),
  ]),
);
const responses = new Map<number, unknown>();
for (const n of SIZES) {
  const response = await handler(events.get(n), context);
  if (response.statusCode !== 200) throw new Error(`warm-up answered ${response.body}`);
  responses.set(n, JSON.parse(response.body));
}

const ROUNDS = 20;
const PER_ROUND = 400;
const samples = new Map<string, number[]>();
const record = (key: string, ns: bigint) => {
  const list = samples.get(key) ?? [];
  list.push(Number(ns) / 1000);
  samples.set(key, list);
};
let sink = 0;
for (let round = 0; round < ROUNDS; round += 1) {
  for (const n of shuffled(SIZES)) {
    const event = events.get(n);
    const body = responses.get(n);
    for (let i = 0; i < PER_ROUND; i += 1) {
      const t0 = process.hrtime.bigint();
      const response = await handler(event, context);
      const t1 = process.hrtime.bigint();
      sink += response.body.length;
      record(`handler-${n}`, t1 - t0);
      const t2 = process.hrtime.bigint();
      sink += JSON.stringify(body).length;
      const t3 = process.hrtime.bigint();
      record(`stringify-${n}`, t3 - t2);
    }
  }
}

const summary = Object.fromEntries(
  [...samples].map(([key, list]) => [
    key,
    { p50: quantile(list, 0.5), p99: quantile(list, 0.99), n: list.length },
  ]),
);
realWrite(`${JSON.stringify({ summary, logLines, sink })}\n`);
process.exit(0);

/**
 * `npm run walk` (`--json` for JSON): how far one request walks through the
 * code. Issue 16 measured, before its redesign, that a request to one device
 * missing both tiers "changes file 70 times across 28 files" and "re-enters
 * broker.ts 11 times and fleet-tier.ts 8 times"; this script takes the same
 * figure on today's code, so the claim can be checked and compared.
 *
 * Method: the Lambda bundle is built with the production options (not
 * minified, which changes no control flow) and every function under
 * functions/ gets `globalThis.__walk?.(file)` as its first step. In this
 * process, on loopback only, run the fake Secrets Manager, the upstream
 * simulator and a dynalite table, all https with the benchmark's test CA
 * (as bench/run.ts's cold start with the store on). One request for another
 * device warms the bundle, so cold-start work is not counted; then exactly
 * one direct-invoke request for a device in neither L1 nor L2 is recorded.
 *
 * Figures: function entries per file; file changes (an entry into another
 * file than the previous entry's); distinct files; and re-entries of
 * broker.ts and fleet/fleet-tier.ts (entries into the file whose previous
 * entry was in another file). Only entries count: returning into a caller
 * is not an entry, so a file change is a call, or a callback, across files.
 * The figures are given twice: for all of functions/, and without
 * functions/token-broker/aws/, the bundle's stand-ins for AWS SDK modules,
 * which only the SDK calls (each of their entries comes from SDK code the
 * walk does not see, so with them an SDK call counts as file changes).
 * `--trace` also prints the files in the order they were entered.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import ts from 'typescript';
import { startColdStore } from '../bench/cold-store.ts';
import { makeTestCa } from '../bench/test-ca.ts';
import { DEV_ACCOUNT, startUpstreamSimulator } from '../functions/local/upstream-simulator.ts';
import { ENV } from '../functions/token-broker/config.ts';
import { ESBUILD_OPTIONS, HANDLER_ENTRY } from '../infra/lambda-bundling.ts';
import { sdkEnvFor, startFakeSecretsManager } from '../test/support/secrets-manager-server.ts';

// Not scripts/build.ts's PROJECT_ROOT: older trees, measured for the
// "before" figure, may not export it.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The files whose re-entries issue 16 names, relative to the project root. */
export const WATCHED_FILES = [
  'functions/token-broker/broker.ts',
  'functions/token-broker/fleet/fleet-tier.ts',
] as const;

/** The bundle's stand-ins for AWS SDK modules (infra/lambda-bundling.ts's aliases). */
export const SDK_STAND_INS = 'functions/token-broker/aws/';

/** The device of the recorded request: in neither tier, since nothing asked for it before. */
export const WALK_EVENT = { devices: [{ productKey: 'pkWalk', deviceName: 'cam1' }] };
const WARM_EVENT = { devices: [{ productKey: 'pkWalk', deviceName: 'warm1' }] };

/**
 * `text` (TypeScript) with `globalThis.__walk?.(file)` as the first step of
 * every function with a body: declarations, expressions, methods, accessors,
 * constructors and arrows (an expression body becomes `(call, expr)`).
 * Text is spliced at the bodies' edges rather than reprinted, so everything
 * else, comments and formatting included, reaches esbuild as written.
 */
export function instrumentSource(file: string, text: string): string {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const call = `globalThis.__walk?.(${JSON.stringify(file)})`;
  const edits: Array<{ at: number; insert: string }> = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const body = node.body as ts.Node;
      if (ts.isBlock(body)) {
        edits.push({ at: body.getStart(source) + 1, insert: `${call};` });
      } else {
        edits.push({ at: body.getStart(source), insert: `(${call}, ` });
        edits.push({ at: body.end, insert: ')' });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  // From the end, so earlier offsets stay valid; edits at one offset are all `)`.
  let out = text;
  for (const { at, insert } of edits.sort((a, b) => b.at - a.at)) {
    out = out.slice(0, at) + insert + out.slice(at);
  }
  return out;
}

/** An esbuild plugin that instruments the project's own files under functions/. */
function walkPlugin(): Plugin {
  const functionsDir = `${path.join(ROOT, 'functions')}${path.sep}`;
  return {
    name: 'walk',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(functionsDir)) return undefined;
        const rel = path.relative(ROOT, args.path).split(path.sep).join('/');
        return { contents: instrumentSource(rel, readFileSync(args.path, 'utf8')), loader: 'ts' };
      });
    },
  };
}

/** Builds the instrumented Lambda bundle into `dir` and returns its path. */
async function buildInstrumented(dir: string): Promise<string> {
  const outfile = path.join(dir, 'index.mjs');
  await build({
    ...ESBUILD_OPTIONS,
    minify: false,
    absWorkingDir: ROOT,
    entryPoints: [HANDLER_ENTRY],
    outfile,
    plugins: [walkPlugin()],
    logLevel: 'warning',
  });
  return outfile;
}

/** The walk of one request, summed up. */
export interface WalkFigures {
  /** Function entries in all. */
  readonly entries: number;
  /** Function entries per file, most first. */
  readonly perFile: Record<string, number>;
  /** Entries into another file than the previous entry's. */
  readonly fileChanges: number;
  /** Files with at least one entry. */
  readonly distinctFiles: number;
  /** Per watched file: entries whose previous entry was in another file. */
  readonly reentries: Record<string, number>;
}

/** Sums up a trace (the file of each function entry, in order). */
export function walkFigures(
  trace: readonly string[],
  watched: readonly string[] = WATCHED_FILES,
): WalkFigures {
  const counts = new Map<string, number>();
  const reentries = Object.fromEntries(watched.map((f) => [f, 0]));
  let fileChanges = 0;
  trace.forEach((file, i) => {
    counts.set(file, (counts.get(file) ?? 0) + 1);
    // The first entry comes from outside the bundle: no change of file.
    if (i === 0 || trace[i - 1] === file) return;
    fileChanges += 1;
    if (file in reentries) reentries[file] = (reentries[file] ?? 0) + 1;
  });
  return {
    entries: trace.length,
    perFile: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))),
    fileChanges,
    distinctFiles: counts.size,
    reentries,
  };
}

/** The loopback services of a store-on cold start, and the env that points the broker at them. */
async function startLoopback(tmp: string) {
  const ca = makeTestCa(tmp);
  const tlsOptions = { tls: { key: ca.key, cert: ca.cert } };
  // In-process stand-in for the bench children's NODE_EXTRA_CA_CERTS, which
  // Node reads only at start-up: the bundle's clients then trust the test CA.
  tls.setDefaultCACertificates([
    ...tls.getCACertificates('default'),
    readFileSync(ca.caFile, 'utf8'),
  ]);
  const sm = await startFakeSecretsManager(JSON.stringify(DEV_ACCOUNT), tlsOptions);
  const sim = await startUpstreamSimulator(tlsOptions);
  const store = await startColdStore(ca, (v, id) => sm.setSecret(v, id), {
    ...sdkEnvFor(sm.url),
    [ENV.secretId]: 'walk/broker',
    [ENV.upstreamUrl]: sim.url,
  });
  return {
    env: store.env,
    logins: () => sim.logins.length,
    close: async () => {
      await store.close();
      await sim.close();
      await sm.close();
    },
  };
}

type Handler = (event: unknown, context: unknown) => Promise<{ tokens?: unknown[] }>;
const context = {
  awsRequestId: 'walk',
  functionName: 'walk',
  getRemainingTimeInMillis: () => 10_000,
  callbackWaitsForEmptyEventLoop: false,
};

/** Answers `event`, failing unless a token came back (a walk of an error is not the figure). */
async function invoke(handler: Handler, event: unknown): Promise<void> {
  // The broker's log and metric lines go to stderr, so stdout is the figures alone.
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr);
  const result = await handler(event, context).finally(() => {
    process.stdout.write = write;
  });
  if (!Array.isArray(result?.tokens) || result.tokens.length === 0) {
    throw new Error(`no token in ${JSON.stringify(result)}`);
  }
}

/** Imports the bundle, warms it, and returns the trace of the one recorded request. */
async function recordWalk(bundle: string, logins: () => number): Promise<string[]> {
  const hooks = globalThis as { __walk?: (file: string) => void };
  const trace: string[] = [];
  let recording = false;
  hooks.__walk = (file) => {
    if (recording) trace.push(file);
  };
  const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  await invoke(handler, WARM_EVENT);
  // Let whatever the warm request left behind (socket callbacks) run before recording.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = logins();
  recording = true;
  await invoke(handler, WALK_EVENT);
  recording = false;
  if (logins() !== before + 1) throw new Error('the recorded request did not miss both tiers');
  return trace;
}

/** The figures of one trace: for all of functions/, and without the SDK stand-ins. */
export function bothFigures(trace: readonly string[]) {
  return {
    all: walkFigures(trace),
    withoutSdkStandIns: walkFigures(trace.filter((f) => !f.startsWith(SDK_STAND_INS))),
  };
}

const short = (file: string) => file.replace(/^functions\/token-broker\//, '');

/** The summary lines of one set of figures. */
function summary(title: string, f: WalkFigures): string[] {
  return [
    `${title}: ${f.entries} function entries, ${f.fileChanges} file changes, ${f.distinctFiles} distinct files`,
    ...Object.entries(f.reentries).map(([file, n]) => `  re-entries of ${short(file)}: ${n}`),
  ];
}

/** The figures as text, files relative to functions/token-broker/. */
export function formatFigures(figures: ReturnType<typeof bothFigures>): string {
  const rows = Object.entries(figures.all.perFile).map(
    ([file, n]) => `  ${String(n).padStart(5)}  ${short(file)}`,
  );
  return [
    `one request, one device in neither L1 nor L2: ${JSON.stringify(WALK_EVENT)}`,
    'function entries per file:',
    ...rows,
    ...summary('all of functions/', figures.all),
    ...summary(`without ${short(SDK_STAND_INS)} (SDK stand-ins)`, figures.withoutSdkStandIns),
    '',
  ].join('\n');
}

if (import.meta.main) {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'broker-walk-'));
  const loopback = await startLoopback(tmp);
  try {
    const bundle = await buildInstrumented(path.join(ROOT, 'dist/walk'));
    Object.assign(process.env, loopback.env);
    const trace = await recordWalk(bundle, loopback.logins);
    const figures = bothFigures(trace);
    const json = process.argv.includes('--json');
    process.stdout.write(json ? `${JSON.stringify(figures, null, 2)}\n` : formatFigures(figures));
    if (process.argv.includes('--trace')) process.stdout.write(`${trace.map(short).join('\n')}\n`);
  } finally {
    await loopback.close();
    await rm(tmp, { recursive: true, force: true });
  }
  // The bundle's keep-alive sockets must not hold the process open.
  process.exit(0);
}

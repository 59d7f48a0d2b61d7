/**
 * `BENCH_ONLY=accounts npm run bench` (issue 18): the single-account path
 * against the broker before several accounts (`BENCH_BASELINE`, default
 * the commit before them), and a two-account deployment, in one run:
 * cold starts of the three interleaved, and warm L1 hits of each bundle in
 * alternating children. Everything is on loopback over https, as in Lambda.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  DEV_ACCOUNT,
  type SimulatorAccount,
  startUpstreamSimulator,
} from '../functions/local/upstream-simulator.ts';
import { ENV } from '../functions/token-broker/config.ts';
import { buildLambdaBundle, PROJECT_ROOT } from '../scripts/build.ts';
import { sdkEnvFor, startFakeSecretsManager } from '../test/support/secrets-manager-server.ts';
import { median, shuffled } from './stats.ts';
import { makeTestCa } from './test-ca.ts';

const run = promisify(execFile);

/** The commit before several accounts, the default A of the A/B. */
export const ACCOUNTS_BASELINE = '33aa982';

const CN: SimulatorAccount = { userName: 'cn-user', password: 'cn-pass', appCode: 'cn-code' };
const EU: SimulatorAccount = { userName: 'eu-user', password: 'eu-pass', appCode: 'eu-code' };

/** What {@link measureAccounts} found. */
export interface AccountsResult {
  readonly baseline: string;
  readonly rounds: number;
  /** Cold start wall ms, median, and Secrets Manager calls and logins per run, by variant. */
  readonly cold: Record<string, { wallMs: number; secretCalls: number; logins: number }>;
  /** Warm L1 hit p50, µs, by variant and devices per request. */
  readonly warm: Record<string, Record<string, number>>;
}

/** Builds the Lambda bundle of `ref` in `dir`, with this checkout's node_modules. */
async function buildBaseline(ref: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const archive = spawn('git', ['archive', ref], { cwd: PROJECT_ROOT });
  const untar = spawn('tar', ['-x', '-C', dir]);
  archive.stdout.pipe(untar.stdin);
  await new Promise((resolve, reject) =>
    untar.once('exit', (c) =>
      c === 0 ? resolve(c) : reject(new Error(`git archive ${ref} failed`)),
    ),
  );
  await symlink(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const script = `const m = await import(${JSON.stringify(pathToFileURL(path.join(dir, 'scripts/build.ts')).href)}); const r = await m.buildLambdaBundle('dist/token-broker'); console.log(r.outfile);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
  });
  return path.resolve(dir, stdout.trim().split('\n').at(-1) ?? '');
}

/**
 * Measures the A/B and the two-account variant.
 * @example
 * const result = await measureAccounts(console.error);
 */
export async function measureAccounts(log: (line: string) => void): Promise<AccountsResult> {
  const baseline = process.env.BENCH_BASELINE ?? ACCOUNTS_BASELINE;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'broker-accounts-'));
  log(`accounts: building this checkout and ${baseline}`);
  const current = (await buildLambdaBundle(path.join(tmp, 'current'))).outfile;
  const before = await buildBaseline(baseline, path.join(tmp, 'baseline'));
  const ca = makeTestCa(tmp);
  const tls = { key: ca.key, cert: ca.cert };
  const [sim, cn, eu] = await Promise.all([
    startUpstreamSimulator({ tls }),
    startUpstreamSimulator({ tls, account: CN }),
    startUpstreamSimulator({ tls, account: EU }),
  ]);
  const sm = await startFakeSecretsManager(JSON.stringify(DEV_ACCOUNT), { tls });
  sm.setSecret(JSON.stringify({ ...CN, upstreamUrl: cn.url }), 'bench/cn');
  sm.setSecret(JSON.stringify({ ...EU, upstreamUrl: eu.url }), 'bench/eu');
  const base = {
    PATH: process.env.PATH ?? '',
    ...sdkEnvFor(sm.url),
    NODE_EXTRA_CA_CERTS: ca.caFile,
    [ENV.secretId]: 'bench/default',
    [ENV.upstreamUrl]: sim.url,
  };
  const twoAccounts = {
    ...base,
    [ENV.upstreamAccounts]: 'cn=bench/cn,eu=bench/eu',
    [ENV.accountRoutes]: 'pkCn=cn,*=eu',
  };
  const oneDevice = JSON.stringify({ devices: [{ productKey: 'pkBench', deviceName: 'cam1' }] });
  const twoDevices = JSON.stringify({
    devices: [
      { productKey: 'pkCn', deviceName: 'cam1' },
      { productKey: 'pkEu', deviceName: 'cam1' },
    ],
  });
  type Variant = {
    readonly bundle: string;
    readonly env: Record<string, string>;
    readonly event: string;
  };
  const variants: Record<string, Variant> = {
    [`one account, ${baseline}`]: { bundle: before, env: base, event: oneDevice },
    'one account, this checkout': { bundle: current, env: base, event: oneDevice },
    'two accounts, one device each': { bundle: current, env: twoAccounts, event: twoDevices },
  };
  const runner = path.join(PROJECT_ROOT, 'bench/invoke-once.mjs');
  const logins = () => sim.logins.length + cn.logins.length + eu.logins.length;
  const samples = new Map<string, { wallMs: number; secretCalls: number; logins: number }[]>();
  const once = async (name: string) => {
    const { bundle, env, event } = variants[name] as Variant;
    const [l0, s0, t0] = [logins(), sm.calls, performance.now()];
    await run(process.execPath, [runner, pathToFileURL(bundle).href, event], { cwd: tmp, env });
    const sample = {
      wallMs: performance.now() - t0,
      secretCalls: sm.calls - s0,
      logins: logins() - l0,
    };
    samples.set(name, [...(samples.get(name) ?? []), sample]);
  };
  const names = Object.keys(variants);
  for (const name of names) await once(name); // disk cache
  samples.clear();
  const rounds = Number(process.env.BENCH_ROUNDS ?? 21);
  log(`accounts: ${rounds} interleaved cold-start rounds of ${names.length} variants`);
  for (let round = 0; round < rounds; round += 1) {
    for (const name of shuffled(names)) await once(name);
  }
  const cold = Object.fromEntries(
    names.map((name) => {
      const list = samples.get(name) ?? [];
      const per = (key: 'secretCalls' | 'logins') =>
        list.reduce((s, x) => s + x[key], 0) / list.length;
      return [
        name,
        {
          wallMs: median(list.map((s) => s.wallMs)),
          secretCalls: per('secretCalls'),
          logins: per('logins'),
        },
      ];
    }),
  );
  log('accounts: warm L1 hits, alternating children');
  const warmRuns = new Map<string, Record<string, number>[]>();
  const warmVariants: Record<
    string,
    { readonly bundle: string; readonly env: Record<string, string> }
  > = {
    [`one account, ${baseline}`]: { bundle: before, env: base },
    'one account, this checkout': { bundle: current, env: base },
    'two accounts, this checkout': {
      bundle: current,
      env: { ...twoAccounts, [ENV.accountRoutes]: 'pkCn=cn,*=eu' },
    },
  };
  for (let round = 0; round < 3; round += 1) {
    for (const name of shuffled(Object.keys(warmVariants))) {
      const { bundle, env } = warmVariants[name] as { bundle: string; env: Record<string, string> };
      const out = await run(
        process.execPath,
        [path.join(PROJECT_ROOT, 'bench/warm-child.ts'), bundle],
        {
          cwd: PROJECT_ROOT,
          env: { ...env, [ENV.maxDevicesPerRequest]: '100' },
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      const { summary } = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as {
        summary: Record<string, { p50: number }>;
      };
      const p50 = Object.fromEntries(
        [1, 10, 100].map((n) => [n, summary[`handler-${n}`]?.p50 ?? Number.NaN]),
      );
      warmRuns.set(name, [...(warmRuns.get(name) ?? []), p50]);
    }
  }
  const warm = Object.fromEntries(
    [...warmRuns].map(([name, list]) => [
      name,
      Object.fromEntries([1, 10, 100].map((n) => [n, median(list.map((r) => r[n] ?? Number.NaN))])),
    ]),
  );
  await Promise.all([sim.close(), cn.close(), eu.close(), sm.close()]);
  await rm(tmp, { recursive: true, force: true });
  return { baseline, rounds, cold, warm };
}

/** The result as Markdown tables. */
export function accountsTable(result: AccountsResult): string[] {
  const f1 = (n: number) => n.toFixed(1);
  return [
    `**Several accounts** (issue 18): cold start, median of ${result.rounds} interleaved runs; warm L1 hit p50 (µs), median of 3 children each. A is ${result.baseline}, the commit before several accounts.`,
    '',
    '| cold start | wall ms | Secrets Manager calls / run | logins / run |',
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(result.cold).map(
      ([name, c]) => `| ${name} | ${f1(c.wallMs)} | ${c.secretCalls} | ${c.logins} |`,
    ),
    '',
    '| warm L1 hit | 1 device µs | 10 devices µs | 100 devices µs |',
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(result.warm).map(
      ([name, w]) =>
        `| ${name} | ${f1(w[1] ?? Number.NaN)} | ${f1(w[10] ?? Number.NaN)} | ${f1(w[100] ?? Number.NaN)} |`,
    ),
  ];
}

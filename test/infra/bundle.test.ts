/**
 * One real `cdk synth` through the pinned CLI, with bundling and cdk-nag, as
 * an operator runs it; then the bundled handler is loaded in a fresh Node 24
 * process outside the project (so no node_modules can fill in for a missing
 * bundle dependency) and answers a direct-invoke event.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ENV } from '../../functions/token-broker/config.ts';
import { ESBUILD_OPTIONS, HANDLER_ENTRY } from '../../infra/lambda-bundling.ts';
import { buildLambdaBundle } from '../../scripts/build.ts';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');
const NODE = path.join(BIN, 'node');

let outdir: string;
let bundle: string;

beforeAll(async () => {
  outdir = await mkdtemp(path.join(tmpdir(), 'broker-synth-'));
  await run(path.join(BIN, 'cdk'), ['synth', '--quiet', '--no-notices', '-o', outdir], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH}` },
  });
  const template = JSON.parse(
    await readFile(path.join(outdir, 'VisualTokenBroker.template.json'), 'utf8'),
  );
  type Resource = { Type: string; Metadata?: Record<string, string> };
  const fn = Object.values(template.Resources as Record<string, Resource>).find(
    (r) => r.Type === 'AWS::Lambda::Function',
  );
  const assetPath = fn?.Metadata?.['aws:asset:path'];
  if (assetPath === undefined) throw new Error('no function asset in the synthesized template');
  bundle = path.join(outdir, assetPath, 'index.mjs');
}, 180_000);

afterAll(async () => {
  if (outdir !== undefined) await rm(outdir, { recursive: true, force: true });
});

const invoke = async (bundlePath: string, event: unknown) => {
  const { stdout } = await run(
    NODE,
    [path.join(ROOT, 'test/infra/invoke-bundle.ts'), bundlePath, JSON.stringify(event)],
    {
      cwd: tmpdir(),
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-1',
        [ENV.secretId]: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:broker-AbCdEf',
        [ENV.upstreamUrl]: 'https://upstream.invalid',
      },
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
};

describe('a plain esbuild build with the shared options', () => {
  test('produces a handler that answers like the synthesized one', async () => {
    // Prepare
    const outfile = path.join(outdir, 'plain-build', 'index.mjs');

    // Act
    await build({
      ...ESBUILD_OPTIONS,
      absWorkingDir: ROOT,
      entryPoints: [path.join(ROOT, HANDLER_ENTRY)],
      outfile,
    });

    // Assess
    const outcome = await invoke(outfile, { devices: [] });
    expect(outcome).toMatchObject({ outcome: 'threw', name: 'InvalidRequestError' });
  });

  test('npm run build writes the very bytes cdk synth bundles', async () => {
    // Prepare
    const synthesized = await readFile(bundle);

    // Act
    const report = await buildLambdaBundle(path.join(outdir, 'npm-run-build'));

    // Assess
    expect((await readFile(report.outfile)).equals(synthesized)).toBe(true);
    expect(report.bytes).toBe(synthesized.byteLength);
  });
});

describe('bundled handler from a real cdk synth', () => {
  test('is a minified ESM file with no source map', async () => {
    // Prepare
    const code = await readFile(bundle, 'utf8');

    // Act
    const size = (await stat(bundle)).size;

    // Assess
    expect(code.startsWith(`${ESBUILD_OPTIONS.banner.js}\n`)).toBe(true);
    expect(code.includes('sourceMappingURL')).toBe(false);
    // Minified: unminified code averages a few dozen characters per line.
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    expect(size).toBeLessThan(2_000_000);
  });

  test('loads and rejects an invalid direct-invoke event with InvalidRequestError', async () => {
    // Prepare
    const event = { devices: 'not-a-list' };

    // Act
    const outcome = await invoke(bundle, event);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'threw', name: 'InvalidRequestError' });
    expect(outcome.message).toMatch(/devices/);
  });
});

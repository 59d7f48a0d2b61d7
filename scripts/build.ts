/**
 * `npm run build`: the Lambda bundle at dist/token-broker/index.mjs and its
 * esbuild metafile at dist/token-broker/meta.json, built with exactly the
 * options the CDK construct uses (infra/lambda-bundling.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { ESBUILD_OPTIONS, HANDLER_ENTRY } from '../infra/lambda-bundling.ts';

/** The project root: esbuild's working directory, which the aliases are relative to. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where `npm run build` writes, relative to the project root. */
export const DIST_DIR = 'dist/token-broker';

/** The outcome of one build. */
export interface BundleReport {
  /** Absolute path of the bundle. */
  readonly outfile: string;
  /** Size of the bundle in bytes. */
  readonly bytes: number;
  /** Bytes in the output per npm package (or per project directory). */
  readonly byPackage: ReadonlyArray<readonly [string, number]>;
  /** esbuild's metafile. */
  readonly metafile: Metafile;
}

/** Groups output bytes by npm package, so a budget miss names its culprit. */
export function bytesByPackage(metafile: Metafile): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
      const key = pkg ?? path.dirname(input);
      totals.set(key, (totals.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

/** Builds the Lambda bundle into `outdir` (absolute, or relative to the project root). */
export async function buildLambdaBundle(outdir: string = DIST_DIR): Promise<BundleReport> {
  const dir = path.resolve(PROJECT_ROOT, outdir);
  const outfile = path.join(dir, 'index.mjs');
  const { metafile } = await build({
    ...ESBUILD_OPTIONS,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [HANDLER_ENTRY],
    outfile,
    metafile: true,
    logLevel: 'warning',
  });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'meta.json'), JSON.stringify(metafile));
  const bytes = Object.values(metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  return { outfile, bytes, byPackage: bytesByPackage(metafile), metafile };
}

if (import.meta.main) {
  const report = await buildLambdaBundle();
  const lines = report.byPackage
    .slice(0, 12)
    .map(([name, bytes]) => `  ${String(bytes).padStart(8)}  ${name}`);
  process.stdout.write(
    `${path.relative(PROJECT_ROOT, report.outfile)}: ${report.bytes} bytes\n${lines.join('\n')}\n`,
  );
}

/**
 * `npm run build:client`: the browser client as one ES module,
 * dist/browser-client.js (+ .map), and its type declarations,
 * dist/browser-client.d.ts over dist/browser-client-types/. The esbuild
 * options are exported, so the size figures in docs/api.md (`npm run docs`),
 * the size test and the demo server build it exactly so.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, buildSync } from 'esbuild';
import ts from 'typescript';
import { PROJECT_ROOT } from './build.ts';

/** The client's entry, relative to the project root. */
export const CLIENT_ENTRY = 'clients/browser-client.ts';

/** How the client is bundled, source map aside. */
export const CLIENT_BUILD_OPTIONS = {
  absWorkingDir: PROJECT_ROOT,
  entryPoints: [CLIENT_ENTRY],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  platform: 'browser',
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** Where `npm run build:client` writes, relative to the project root. */
export const CLIENT_DIST = 'dist';

/** The module's size, minified, and gzipped at zlib's default level. */
export interface ClientSize {
  /** Bytes minified. */
  readonly minified: number;
  /** Bytes minified and gzipped. */
  readonly gzipped: number;
}

/** Builds the client in memory, as `npm run build:client` does minus the source map, and measures it. */
export function measureClient(): ClientSize & { readonly code: Uint8Array } {
  const result = buildSync({ ...CLIENT_BUILD_OPTIONS, write: false });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { code, minified: code.byteLength, gzipped: gzipSync(code).byteLength };
}

/**
 * Declarations of the client and the contract it re-exports, with their
 * `.ts` import specifiers rewritten to `.js`, as a consumer's TypeScript
 * resolves them without `allowImportingTsExtensions`.
 * @throws Error with TypeScript's diagnostics when the declarations cannot be emitted.
 */
export function emitDeclarations(outdir: string): void {
  const program = ts.createProgram([path.join(PROJECT_ROOT, CLIENT_ENTRY)], {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: PROJECT_ROOT,
    outDir: outdir,
    types: [],
  });
  const result = program.emit(undefined, (file, text) => {
    ts.sys.writeFile(file, text.replace(/(from\s+'\.{1,2}\/[^']*)\.ts'/g, "$1.js'"));
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (result.emitSkipped || diagnostics.length > 0) {
    const host = {
      getCanonicalFileName: (f: string) => f,
      getCurrentDirectory: () => PROJECT_ROOT,
      getNewLine: () => '\n',
    };
    throw new Error(ts.formatDiagnostics(diagnostics, host));
  }
}

/**
 * Builds the client and its declarations into `outdir` (absolute, or relative
 * to the project root).
 * @returns the path of the bundle.
 */
export async function buildClient(outdir: string = CLIENT_DIST): Promise<string> {
  const dir = path.resolve(PROJECT_ROOT, outdir);
  const outfile = path.join(dir, 'browser-client.js');
  await build({ ...CLIENT_BUILD_OPTIONS, sourcemap: true, outfile });
  const types = path.join(dir, 'browser-client-types');
  await rm(types, { recursive: true, force: true });
  await mkdir(types, { recursive: true });
  emitDeclarations(types);
  const entry = path.posix.join('.', 'browser-client-types', CLIENT_ENTRY.replace(/\.ts$/, '.js'));
  await writeFile(path.join(dir, 'browser-client.d.ts'), `export * from './${entry}';\n`);
  return outfile;
}

if (import.meta.main) {
  const outfile = await buildClient();
  const { minified, gzipped } = measureClient();
  console.log(
    `${path.relative(PROJECT_ROOT, outfile)}: ${minified} bytes, ${gzipped} gzipped; declarations in ${CLIENT_DIST}/browser-client.d.ts`,
  );
}

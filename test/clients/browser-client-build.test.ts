/**
 * `npm run build:client`: the bundle stays small and standalone, and its
 * type declarations serve a strict TypeScript consumer that has none of
 * this project's settings (no `allowImportingTsExtensions`, no skipLibCheck).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, measureClient } from '../../scripts/build-client.ts';

/** The gzipped size the bundle must stay under: retries, timeouts and renewal included. */
const GZIP_BUDGET_BYTES = 4 * 1024;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vtb-client-build-'));
  await buildClient(dir);
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const CONSUMER = `
import {
  BrowserTokenClient, type DeviceGrantsResult, ERROR_CODE, TokenBrokerHttpError, type TokenResult,
} from './browser-client.js';
const client = new BrowserTokenClient({
  baseUrl: 'https://api.example.com',
  getBearerToken: async () => 'id-token',
  renewBeforeSeconds: 600,
  onRenewed: (result: TokenResult) => console.log(result.tokens[0]?.visualToken),
});
export const result: Promise<TokenResult> = client.getTokens(
  [{ productKey: 'pk', deviceName: 'cam' }],
  { signal: AbortSignal.timeout(5000), refresh: false },
);
export const grants: Promise<DeviceGrantsResult> = client.listDevices({ timeoutMs: 5000 });
export const code: 'INVALID_REQUEST' = ERROR_CODE.INVALID_REQUEST;
export const isHttp = (e: unknown): number | undefined =>
  e instanceof TokenBrokerHttpError ? e.retryAfterSeconds : undefined;
`;

const MISUSE = `
import { BrowserTokenClient } from './browser-client.js';
new BrowserTokenClient({ baseUrl: 42, getBearerToken: () => 'jwt' });
`;

/** TypeScript's messages for `source` compiled as a strict consumer next to the build. */
async function compile(name: string, source: string, resolution: 'nodenext' | 'bundler') {
  const file = join(dir, name);
  await writeFile(file, source);
  const nodeNext = resolution === 'nodenext';
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    module: nodeNext ? ts.ModuleKind.NodeNext : ts.ModuleKind.ESNext,
    moduleResolution: nodeNext ? ts.ModuleResolutionKind.NodeNext : ts.ModuleResolutionKind.Bundler,
    types: [],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('npm run build:client', () => {
  it(`bundles the client under ${GZIP_BUDGET_BYTES} bytes gzipped, with no imports`, () => {
    // Act
    const { code, gzipped } = measureClient();
    // Assess
    expect(gzipped).toBeLessThan(GZIP_BUDGET_BYTES);
    expect(new TextDecoder().decode(code)).not.toMatch(/\bimport\b/);
  });

  it('is the script npm runs', async () => {
    // Act
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    // Assess
    expect(pkg.scripts['build:client']).toBe('node scripts/build-client.ts');
  });

  it.each(['nodenext', 'bundler'] as const)(
    'emits declarations a strict consumer compiles against (moduleResolution %s)',
    async (resolution) => {
      // Act
      const messages = await compile(`consumer-${resolution}.ts`, CONSUMER, resolution);
      // Assess
      expect(messages).toEqual([]);
    },
  );

  it('fails a consumer’s compile when it misuses an option, so the types are real', async () => {
    // Act
    const messages = await compile('misuse.ts', MISUSE, 'nodenext');
    // Assess
    expect(messages).toEqual([expect.stringMatching(/number.*not assignable to type 'string'/)]);
  });
});

/**
 * Bundle budget of issue 13: the Lambda bundle with the token store adapter
 * in it stays at or under 240 KB. Until the broker is wired to the store,
 * the handler entry is bundled together with the adapter's exports, with the
 * Lambda build's own esbuild options.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ESBUILD_OPTIONS, HANDLER_ENTRY } from '../../infra/lambda-bundling.ts';
import { bytesByPackage, PROJECT_ROOT } from '../../scripts/build.ts';

/** The budget of issue 13, in bytes (240 KB, decimal, the stricter reading). */
const BUNDLE_WITH_STORE_BUDGET_BYTES = 240_000;

const bundle = async (contents: string) => {
  const { metafile } = await build({
    ...ESBUILD_OPTIONS,
    absWorkingDir: PROJECT_ROOT,
    stdin: { contents, resolveDir: PROJECT_ROOT, loader: 'ts', sourcefile: 'entry.ts' },
    write: false,
    outfile: 'dist/budget/index.mjs',
    metafile: true,
    logLevel: 'warning',
  });
  return {
    bytes: Object.values(metafile.outputs).reduce((sum, o) => sum + o.bytes, 0),
    // Only files that put bytes in the output: the metafile also lists tree-shaken ones.
    inputs: Object.values(metafile.outputs).flatMap((o) =>
      Object.entries(o.inputs)
        .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
        .map(([file]) => file),
    ),
    byPackage: bytesByPackage(metafile),
  };
};

describe('the Lambda bundle with the token store', () => {
  it(`is at most ${BUNDLE_WITH_STORE_BUDGET_BYTES} bytes minified, with no table-level or document-client code`, async () => {
    // Prepare
    const entry = [
      `export { handler } from './${HANDLER_ENTRY}';`,
      "export { createDynamoDbTokenStore } from './functions/token-broker/store/dynamodb-token-store.ts';",
      "export { createDynamoDbClient } from './functions/token-broker/store/dynamodb-client.ts';",
      "export { accountKey, deriveStoreKeys } from './functions/token-broker/store/token-crypto.ts';",
    ].join('\n');
    // Act
    const report = await bundle(entry);
    // Assess
    expect(
      report.bytes,
      `largest parts: ${JSON.stringify(report.byPackage.slice(0, 6))}`,
    ).toBeLessThanOrEqual(BUNDLE_WITH_STORE_BUDGET_BYTES);
    const unwanted =
      /lib-dynamodb|util-dynamodb|CreateTableCommand|DescribeTableCommand|ScanCommand|QueryCommand|ensure-table/;
    expect(report.inputs.filter((f) => unwanted.test(f))).toEqual([]);
  }, 60_000);
});

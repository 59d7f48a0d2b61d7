/**
 * The one place where the Lambda bundle is described. `NodejsFunction` derives
 * its `bundling` props from {@link ESBUILD_OPTIONS}, and `npm run build`
 * (scripts/build.ts, writing `dist/token-broker/index.mjs`) passes the same
 * object to `esbuild.build`: test/infra/bundle.test.ts checks that both write
 * the same bytes.
 */
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** Path of the Lambda entry, relative to the project root. Referred to by path only. */
export const HANDLER_ENTRY = 'functions/token-broker/index.ts';

/** Name of the exported handler function in {@link HANDLER_ENTRY}. */
export const HANDLER_EXPORT = 'handler';

/**
 * Module substitutions of the Lambda build only (the local server keeps the
 * real packages). In Lambda the execution role's credentials are always in
 * the environment, so the SDK's default chain is swapped for an env-only
 * provider: that drops SSO, ini files, process, web identity, IMDS, container
 * credentials and the STS/SSO clients they need — about 140 KB of a 350 KB
 * bundle (figures in docs/performance.md).
 */
export const LAMBDA_ALIASES = {
  '@aws-sdk/credential-provider-node': './functions/token-broker/aws/env-credential-provider.ts',
  // Loaded lazily by the SDK for event-stream operations only, which
  // GetSecretValue is not: ~15 KB of bytes that never run.
  '@smithy/core/event-streams': './functions/token-broker/aws/no-event-streams.ts',
  // The DynamoDB client's endpoint-discovery cache, for a discovery the
  // store's commands never use: ~7 KB of mnemonist.
  '@aws-sdk/endpoint-cache': './functions/token-broker/aws/no-endpoint-cache.ts',
  // Endpoint discovery, which none of the store's commands declares: ~0.8 KB.
  '@aws-sdk/middleware-endpoint-discovery': './functions/token-broker/aws/no-endpoint-discovery.ts',
  // The per-invocation trace store of multi-concurrency Lambda, which a
  // function serving one invocation at a time never has: ~2 KB.
  '@aws/lambda-invoke-store': './functions/token-broker/aws/no-invoke-store.ts',
  // The clients take only Sha256 from it; the rest is pure-JS hashes for
  // runtimes without node:crypto: ~5 KB.
  '@smithy/core/checksum': './functions/token-broker/aws/node-sha256.ts',
  // Settings from the environment only: no shared ini files (Lambda has
  // none) and no region from EC2 instance metadata (Lambda sets AWS_REGION):
  // ~4.1 KB.
  '@smithy/core/config': './functions/token-broker/aws/env-only-config.ts',
  // The standard retry strategy only: neither client, nor the construct,
  // asks for retry mode `adaptive` and its client-side rate limiter: ~3.3 KB.
  '@smithy/core/retry': './functions/token-broker/aws/standard-retry-only.ts',
  // No logger middleware (neither client has a logger; the SDK's default
  // drops every line) and no Node.js version warning (never fires on the
  // function's Node.js 24): ~1.2 KB.
  '@aws-sdk/core/client': './functions/token-broker/aws/quiet-sdk-client.ts',
} as const;

/**
 * Bundled CommonJS dependencies (parts of the AWS SDK among them) call
 * `require` for Node built-ins, which an ES module does not define.
 */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Raw esbuild options of the Lambda bundle (the subset of esbuild's
 * `BuildOptions` that matters; spread into `esbuild.build` with `entryPoints`
 * and `outfile`).
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // ESM builds of dependencies first: smaller, and tree-shakeable.
  mainFields: ['module', 'main'],
  minify: true,
  // Off: error classes spell their `name` out (errors.ts), so nothing relies
  // on function names, and keeping them costs ~14 KB and start-up time.
  keepNames: false,
  // Paths are relative to the project root, esbuild's working directory in
  // both `npm run build` and CDK's local bundling.
  alias: LAMBDA_ALIASES,
  // Source maps stay out of the hot path: loading them costs cold-start time
  // and every stack trace would be remapped.
  sourcemap: false,
  // The SDK is bundled, not taken from the runtime, so the version we test is
  // the version we ship, and tree-shaking trims it.
  external: [],
  legalComments: 'none',
  banner: { js: CREATE_REQUIRE_BANNER },
} satisfies BuildOptions;

/** The same options, as `NodejsFunction` `bundling` props. */
export function nodejsBundlingOptions(): BundlingOptions {
  const o = ESBUILD_OPTIONS;
  return {
    format: o.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
    target: o.target,
    mainFields: [...o.mainFields],
    minify: o.minify,
    keepNames: o.keepNames,
    sourceMap: o.sourcemap,
    externalModules: [...o.external],
    bundleAwsSDK: true,
    banner: o.banner.js,
    esbuildArgs: {
      '--legal-comments': o.legalComments,
      '--alias': Object.entries(o.alias).map(([from, to]) => `${from}=${to}`),
    },
  };
}

/**
 * Stands in for `@aws-sdk/core/client` in the Lambda bundle only (an esbuild
 * alias, infra/lambda-bundling.ts); the local server keeps the real module.
 * Every export is the real one, re-exported from its dist file by relative
 * path (not a bare specifier, so the alias does not loop back here), except
 * two that can only write to nowhere in Lambda:
 *
 * - `getLoggerPlugin`: the real one adds a middleware that hands each call's
 *   input and output to the client's `logger`. Neither client is given one
 *   (secrets-manager-source.ts and store/dynamodb-client.ts), so it is the
 *   SDK's `NoOpLogger`, which drops them; here no middleware is added, and
 *   the call no longer filters its input and output for a log nobody writes.
 * - `emitWarningIfUnsupportedVersion`: the real one warns on Node.js below
 *   22. The function runs on `nodejs24.x` (the construct's runtime), where it
 *   never warns.
 *
 * The bundle is about 1.2 KB smaller (docs/performance.md).
 */
import type * as Real from '@aws-sdk/core/client';

// @ts-expect-error: a dist file has no declarations of its own; typed by the `Real` annotations below.
export * from '../../../node_modules/@aws-sdk/core/dist-es/submodules/client/index.js';

/** The real plugin's shape, adding nothing to the stack: no logger would receive its lines. */
export const getLoggerPlugin: typeof Real.getLoggerPlugin = () => ({ applyToStack() {} });

/** Nothing to warn about on the function's Node.js 24. */
export const emitWarningIfUnsupportedVersion: typeof Real.emitWarningIfUnsupportedVersion =
  () => {};

/**
 * Stands in for `@aws/lambda-invoke-store` in the Lambda bundle (an esbuild
 * alias, infra/lambda-bundling.ts). The SDK's recursion-detection middleware
 * asks it for the invocation's trace id, which only a function serving
 * several invocations at once in one process (Lambda Managed Instances)
 * needs; this function serves one at a time, so the middleware falls back
 * to `_X_AMZN_TRACE_ID`, as the real store would answer. Saves ~2 KB.
 */

/** What the middleware calls: no per-invocation store in this process. */
export const InvokeStore = {
  /** No store: the middleware uses the `_X_AMZN_TRACE_ID` environment variable. */
  getInstanceAsync: async (): Promise<undefined> => undefined,
};

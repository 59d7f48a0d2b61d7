/**
 * Stands in for `@smithy/core/retry` in the Lambda bundle only (an esbuild
 * alias, infra/lambda-bundling.ts); the local server keeps the real module.
 * Every export is the real one, re-exported from its dist file by relative
 * path (not a bare specifier, so the alias does not loop back here), except
 * `resolveRetryConfig`, which builds the standard retry strategy only.
 *
 * The real one builds the adaptive strategy, with its client-side rate
 * limiter (about 3.4 KB), when the retry mode is `adaptive`. Neither client
 * asks for it (credentials.ts and store/dynamodb-client.ts set no
 * `retryMode` or `retryStrategy`), the construct does not set
 * `AWS_RETRY_MODE`, and the shared config files that could hold a
 * `retry_mode` are not read in the Lambda bundle (env-only-config.ts). So the
 * mode is always `standard` in Lambda, and this builds what the real one
 * builds there. Should someone set `AWS_RETRY_MODE=adaptive` on the function
 * by hand, its clients retry in standard mode (docs/performance.md).
 * The bundle is 3,306 bytes smaller.
 */
import { normalizeProvider } from '@smithy/core/client';
import type * as Real from '@smithy/core/retry';
import {
  DEFAULT_MAX_ATTEMPTS,
  Retry,
  StandardRetryStrategy,
  // @ts-expect-error: a dist file has no declarations of its own; typed by the `real` cast below.
} from '../../../node_modules/@smithy/core/dist-es/submodules/retry/index.js';

// @ts-expect-error: as above. Every other export is the real module's own.
export * from '../../../node_modules/@smithy/core/dist-es/submodules/retry/index.js';

const real = { DEFAULT_MAX_ATTEMPTS, Retry, StandardRetryStrategy } as Pick<
  typeof Real,
  'DEFAULT_MAX_ATTEMPTS' | 'Retry' | 'StandardRetryStrategy'
>;

/**
 * As the real `resolveRetryConfig`, but the default strategy is the standard
 * one whatever the mode. The mode is still resolved first, as the real one
 * does, so a setting that fails to resolve (an invalid `AWS_DEFAULTS_MODE`)
 * fails the call just as before.
 */
export const resolveRetryConfig: typeof Real.resolveRetryConfig = (input, defaults) => {
  const { defaultMaxAttempts = real.DEFAULT_MAX_ATTEMPTS, defaultBaseDelay = real.Retry.delay() } =
    defaults ?? {};
  const maxAttempts = normalizeProvider(input.maxAttempts ?? defaultMaxAttempts);
  let controller = input.retryStrategy ? Promise.resolve(input.retryStrategy) : undefined;
  const getDefault = async () => {
    const attempts = await maxAttempts();
    await normalizeProvider(input.retryMode)();
    return new real.StandardRetryStrategy({ maxAttempts: attempts, baseDelay: defaultBaseDelay });
  };
  return Object.assign(input, {
    maxAttempts,
    retryStrategy: () => {
      controller ??= getDefault();
      return controller;
    },
  });
};

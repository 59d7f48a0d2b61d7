import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The test set StrykerJS runs (`npm run mutation`, stryker.config.mjs): only
 * the in-process tests of the mutated modules. The full suite spawns servers,
 * a browser and CDK synths, which would cost minutes per mutant on 2 cores and
 * would not load the instrumented code anyway.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // Replaced, not merged: mergeConfig would append to the full suite's list.
    include: [
      'test/token-broker/scope.test.ts',
      'test/token-broker/handler-scope.test.ts',
      'test/token-broker/cors.test.ts',
      'test/token-broker/handler-cors.test.ts',
      'test/token-broker/request.test.ts',
      'test/token-broker/upstream/token-expiry.test.ts',
      'test/token-broker/upstream/gateway-auth.test.ts',
      'test/token-broker/store/*.test.ts',
      'test/token-broker/fleet/*.test.ts',
    ],
    reporters: ['default'],
  },
});

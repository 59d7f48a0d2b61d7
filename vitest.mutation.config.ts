import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import base from './vitest.config.ts';

/**
 * Test files that start a store engine, fault servers or several runtimes:
 * seconds each, against milliseconds for the unit tests of the same modules.
 */
const SLOW = [
  /fleet\/fleet(-circuit-budget|-faults|-in-flight|-leak-canary)?\.test\.ts$/,
  /store\/(dynamodb-token-store.*|local-store-setup|token-encryption)\.test\.ts$/,
];

/**
 * Runs the fast test files first. Stryker stops a mutant's run at its first
 * failing test, so a mutant a unit test kills costs milliseconds; vitest's
 * own order (largest and slowest first) would run the engine tests first
 * for every mutant, which makes a run on 2 cores take hours.
 */
class FastFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => (SLOW.some((re) => re.test(spec.moduleId)) ? 1 : 0);
    return [...files].sort((a, b) => rank(a) - rank(b) || a.moduleId.localeCompare(b.moduleId));
  }
}

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
      'test/token-broker/upstream/token-expiry-types.test.ts',
      'test/token-broker/upstream/gateway-auth.test.ts',
      'test/token-broker/store/*.test.ts',
      'test/token-broker/fleet/*.test.ts',
      // The fleet tier's early store read only shows in the round trips it saves.
      'test/token-broker/grants/directory-round-trips.test.ts',
    ],
    reporters: ['default'],
    // Some engine tests count attempts or logins against real timers; on a
    // loaded 2-core machine one of them misses now and then, and a single
    // failure in Stryker's first run aborts the whole run.
    retry: 2,
    sequence: { ...base.test?.sequence, sequencer: FastFirst },
    setupFiles: [...(base.test?.setupFiles ?? []), 'test/support/mutation-setup.ts'],
  },
});

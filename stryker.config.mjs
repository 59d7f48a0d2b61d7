// @ts-check
/**
 * Mutation testing (`npm run mutation`): StrykerJS plants small bugs in the
 * modules below and checks that some test fails for each. Not part of
 * `npm test` or CI: a full run takes tens of minutes on 2 cores. How to run
 * it and the scores: docs/performance.md, "Mutation testing".
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  // Each mutant runs only the tests that reached it in the first run.
  coverageAnalysis: 'perTest',
  mutate: [
    'functions/token-broker/scope.ts',
    'functions/token-broker/cors.ts',
    'functions/token-broker/request.ts',
    'functions/token-broker/upstream/token-expiry.ts',
    'functions/token-broker/upstream/gateway-auth.ts',
    'functions/token-broker/store/token-crypto.ts',
    'functions/token-broker/store/dynamodb-items.ts',
    // The fleet tier, by name: a glob would silently take in (or lose) files
    // as the tier is reshaped, and the per-file scores in docs/performance.md
    // are kept against this list.
    'functions/token-broker/fleet/fleet-tier.ts',
    'functions/token-broker/fleet/fleet-run.ts',
    'functions/token-broker/fleet/fleet-steps.ts',
    'functions/token-broker/fleet/fleet-wait.ts',
    'functions/token-broker/fleet/fleet-guards.ts',
    'functions/token-broker/fleet/guarded-store.ts',
    'functions/token-broker/fleet/lease-wait.ts',
  ],
  // The machine has 2 cores shared with others: one test process.
  concurrency: 1,
  // A rerun tests only mutants whose code or tests changed since the last one;
  // `npm run mutation -- --force` retests everything.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  thresholds: { high: 90, low: 80, break: null },
  timeoutMS: 10_000,
};

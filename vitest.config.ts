import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Fails a test that prints raw EMF lines instead of injecting a metrics sink.
    setupFiles: ['test/support/no-raw-emf.ts'],
    // In CI, also a machine-readable result, from which .ci/run prints a
    // plain "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'dist/vitest.json' }]]
      : ['default'],
  },
});

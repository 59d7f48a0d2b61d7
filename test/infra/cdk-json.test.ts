/**
 * cdk.json opts out of the CLI's notices and telemetry: both probe the
 * network and keep state in ~/.cdk, which offline runs (CI, the build
 * machines) should neither wait for nor rewrite.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const cdkJson = () =>
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    app: string;
    notices?: unknown;
    context?: Record<string, unknown>;
  };

describe('cdk.json', () => {
  test('turns the CLI’s notices off (the CLI reads the top-level "notices" setting)', () => {
    // Act
    const { notices } = cdkJson();

    // Assess
    expect(notices).toBe(false);
  });

  test('turns CLI telemetry off (the CLI reads the "cli-telemetry" context key)', () => {
    // Act
    const { context } = cdkJson();

    // Assess
    expect(context?.['cli-telemetry']).toBe(false);
  });

  test('still runs the app with Node, and sets no broker setting in context', () => {
    // Act
    const { app, context = {} } = cdkJson();

    // Assess
    expect(app).toBe('node infra/app.ts');
    expect(Object.keys(context)).toEqual(['cli-telemetry']);
  });
});

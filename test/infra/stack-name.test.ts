/**
 * One stack per stage: `-c stackName=…` names the stack, and with no name
 * it keeps the name of every earlier release, so an existing deployment is
 * updated, not duplicated.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, test } from 'vitest';
import { DEFAULT_STACK_NAME, stackNameFromContext } from '../../infra/stack-context.ts';
import { NO_BUNDLING, synthStack } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const outdir = mkdtempSync(join(tmpdir(), 'vtb-stack-name-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('stack name per stage', () => {
  test('is VisualTokenBroker when the context names none', () => {
    // Act
    const name = stackNameFromContext(new App());

    // Assess
    expect(name).toBe('VisualTokenBroker');
    expect(DEFAULT_STACK_NAME).toBe('VisualTokenBroker');
  });

  test('is the context’s stackName', () => {
    // Act
    const name = stackNameFromContext(
      new App({ context: { stackName: 'VisualTokenBroker-prod' } }),
    );

    // Assess
    expect(name).toBe('VisualTokenBroker-prod');
  });

  test.each(['staging_1', '1-staging', 'a'.repeat(129), 'stage prod'])(
    'fails when the name is %s, naming the context key',
    (stackName) => {
      // Act
      const attempt = () => stackNameFromContext(new App({ context: { stackName } }));

      // Assess
      expect(attempt).toThrow(/^Context "stackName" must start with a letter/);
    },
  );

  test('is not taken for a misspelt setting', () => {
    // Prepare
    const context = { stackName: 'VisualTokenBroker-staging' };

    // Act
    const { stack } = synthStack(context);

    // Assess
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  });

  test('names the stack the CDK app synthesises', async () => {
    // Prepare
    const context = { ...NO_BUNDLING, stackName: 'VisualTokenBroker-staging' };

    // Act
    await promisify(execFile)(process.execPath, ['infra/app.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        CDK_CONTEXT_JSON: JSON.stringify(context),
        CDK_OUTDIR: outdir,
      },
    });

    // Assess
    expect(existsSync(join(outdir, 'VisualTokenBroker-staging.template.json'))).toBe(true);
    expect(existsSync(join(outdir, 'VisualTokenBroker.template.json'))).toBe(false);
  }, 60_000);
});

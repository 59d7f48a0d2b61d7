/**
 * docs/deploy.md's example of a bad setting at synth is true as written:
 * the CDK app, given that context, prints exactly the documented line (no
 * stack frames) and exits 1.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const outdir = mkdtempSync(join(tmpdir(), 'vtb-synth-error-'));

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The documented example: the `-c key=value` given and the line printed. */
function documentedExample() {
  const text = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8').replace(/\s+/g, ' ');
  const match = /`npx cdk synth -c (\w+)=(\S+)` prints `([^`]+)`/.exec(text);
  if (!match) throw new Error('docs/deploy.md has no "`npx cdk synth -c k=v` prints `…`" example');
  const [, key = '', value = '', message = ''] = match;
  return { key, value, message };
}

describe('a bad setting at synth', () => {
  it('fails as docs/deploy.md says: the documented line alone, exit code 1', async () => {
    // Prepare
    const { key, value, message } = documentedExample();
    // Act
    const run = await promisify(execFile)(process.execPath, ['infra/app.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        CDK_CONTEXT_JSON: JSON.stringify({ [key]: value }),
        CDK_OUTDIR: outdir,
      },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`${message}\n`);
  }, 30_000);
});

/**
 * `.ci/run` outside CI: with CI unset, as a user who is not root, in a copy
 * of the tree that is not a git checkout. npm is a stub that records what it
 * is asked and plays vitest's reporters as vitest.config.ts sets them (the
 * JSON result only when CI is set, or when asked for on the command line),
 * so the script's own logic runs for real in a second.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
let tree: string | undefined;

afterEach(() => {
  if (tree) rmSync(tree, { recursive: true, force: true });
  tree = undefined;
});

const NPM_STUB = `#!/bin/sh
echo "npm $*" >> "$TREE/npm.log"
case "$1" in
  test)
    case "$*" in
      *--outputFile.json=dist/vitest.json*) want=1 ;;
      *) want="\${CI:-}" ;;
    esac
    if [ -n "$want" ]; then
      mkdir -p dist
      echo '{"numPassedTests":3,"numFailedTests":0,"numPendingTests":0}' > dist/vitest.json
    fi ;;
  install) [ -n "\${LOCK_DRIFT:-}" ] && echo ' ' >> package-lock.json ;;
esac
exit 0
`;

/** A copy of what .ci/run needs, with stubs for npm and id (uid 1000). */
function makeTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vtb-ci-run-'));
  mkdirSync(join(dir, '.ci'));
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
  mkdirSync(join(dir, 'stubs'));
  copyFileSync(join(ROOT, '.ci/run'), join(dir, '.ci/run'));
  chmodSync(join(dir, '.ci/run'), 0o755);
  for (const file of ['package.json', 'package-lock.json']) {
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(process.execPath, join(dir, 'node_modules/.bin/node'));
  writeFileSync(join(dir, 'stubs/npm'), NPM_STUB, { mode: 0o755 });
  writeFileSync(join(dir, 'stubs/id'), '#!/bin/sh\necho 1000\n', { mode: 0o755 });
  return dir;
}

function ciRun(dir: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      'bash',
      [join(dir, '.ci/run')],
      { env: { PATH: `${join(dir, 'stubs')}:/usr/bin:/bin`, HOME: dir, TREE: dir, ...env } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('.ci/run outside CI', () => {
  it('runs every step and prints the test summary with CI unset, not root, no git', async () => {
    // Prepare
    tree = makeTree();
    // Act
    const run = await ciRun(tree);
    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('vitest: 3 passed, 0 failed, 0 skipped');
    const steps = readFileSync(join(tree, 'npm.log'), 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1]);
    expect(steps.filter(Boolean)).toEqual(['ci', 'install', 'run', 'run', 'test', 'run', 'run']);
  });

  it('fails when npm install would change the lock, naming the file', async () => {
    // Prepare
    tree = makeTree();
    // Act
    const run = await ciRun(tree, { LOCK_DRIFT: '1' });
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('npm install changed package-lock.json');
  });
});

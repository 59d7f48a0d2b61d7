/**
 * `--help` on each command-line tool: the usage on stdout and exit code 0;
 * an unknown option gets the usage on stderr and exit code 2. And the
 * fleet's front port in use suggests `--port`.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `node <script> ...args`, resolving whatever the exit code. */
function run(script: string, ...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

const TOOLS = [
  ['dev-token', 'functions/local/dev-token.ts', [], ['--devices', '--sub', '--expires-in']],
  [
    'fleet',
    'scripts/fleet.ts',
    [],
    ['--containers', '--port', '--no-store', '--upstream-latency-ms'],
  ],
  ['tokens', 'bin/visual-token-broker.ts', ['tokens'], ['--url', '--token', '--json', '--refresh']],
  ['grants', 'bin/grants.ts', [], ['--table', '--json', 'add', 'remove', 'list']],
] as const;

describe.each(TOOLS)('npm run %s', (_name, script, command, options) => {
  it.each(['--help', '-h'])('prints its usage with %s, naming every option', async (flag) => {
    // Act
    const { code, stdout } = await run(script, ...command, flag);
    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: /);
    for (const option of [...options, '--help']) expect(stdout).toContain(option);
  });

  it('fails when an option is unknown, with the usage and exit code 2', async () => {
    // Act
    const { code, stderr } = await run(script, ...command, '--frobnicate');
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('--frobnicate');
    expect(stderr).toContain('Usage: ');
  });
});

describe('npm run fleet on a port in use', () => {
  it('fails suggesting --port', async () => {
    // Prepare
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    // Act
    const { code, stderr } = await run(
      'scripts/fleet.ts',
      '--containers',
      '1',
      '--no-store',
      '--port',
      String(port),
    );
    await new Promise((resolve) => holder.close(resolve));
    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(`port ${port} is in use: pick another with --port`);
  }, 30_000);
});

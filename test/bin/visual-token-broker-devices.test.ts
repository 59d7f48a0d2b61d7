/**
 * `visual-token-broker devices` as a subprocess (through the package's bin
 * shim) against a loopback server answering `GET /tokens/devices` from a
 * script: the caller's grants printed one a line, or as JSON.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, TOKEN_ENV } from '../../bin/visual-token-broker.ts';
import { type ScriptedHttpAnswer, startScriptedServer } from '../clients/browser-fakes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const GRANTS = {
  all: true,
  products: ['pk2'],
  devices: [
    { productKey: 'pkA', deviceName: 'cam-1' },
    { productKey: 'pkB', deviceName: 'cam-2' },
  ],
};

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

/** A loopback broker answering each request from `answers`. */
async function broker(...answers: ScriptedHttpAnswer[]) {
  const server = await startScriptedServer(answers);
  closers.push(server.close);
  return server;
}

/** Runs the bin without a token in the environment, resolving whatever the exit code. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env[TOKEN_ENV];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/visual-token-broker.mjs', ...args],
      { cwd: ROOT, env },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('visual-token-broker devices', () => {
  it('prints the grants one a line, with the given token', async () => {
    // Prepare
    const server = await broker({ status: 200, body: JSON.stringify(GRANTS) });
    // Act
    const run = await cli('devices', '--url', server.url, '--token', 'jwt-7');
    // Assess
    expect(run).toEqual({ code: EXIT.ok, stdout: '*\npk2/*\npkA/cam-1\npkB/cam-2\n', stderr: '' });
    expect(server.requests[0]?.authorization).toBe('Bearer jwt-7');
  });

  it('prints the JSON result with --json', async () => {
    // Prepare
    const server = await broker({ status: 200, body: JSON.stringify(GRANTS) });
    // Act
    const run = await cli('devices', '--json', '--url', server.url, '--token', 'jwt');
    // Assess
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toEqual(GRANTS);
  });

  it('prints nothing when the caller has no grant', async () => {
    // Prepare
    const none = { all: false, products: [], devices: [] };
    const server = await broker({ status: 200, body: JSON.stringify(none) });
    // Act
    const run = await cli('devices', '--url', server.url, '--token', 'jwt');
    // Assess
    expect(run).toEqual({ code: EXIT.ok, stdout: '', stderr: '' });
  });

  it('fails when the directory is down, printing the problem and exiting 1', async () => {
    // Prepare
    const problem = {
      status: 503,
      headers: { 'content-type': 'application/problem+json', 'retry-after': '0' },
      body: JSON.stringify({
        status: 503,
        code: 'GRANTS_UNAVAILABLE',
        detail: 'The broker could not read the grants directory.',
        requestId: 'req-3',
      }),
    };
    const server = await broker(problem);
    // Act
    const run = await cli('devices', '--url', server.url, '--token', 'jwt');
    // Assess
    expect(run.code).toBe(EXIT.error);
    expect(run.stderr).toBe(
      'visual-token-broker: The broker could not read the grants directory. (GRANTS_UNAVAILABLE, HTTP 503, request req-3)\n',
    );
    expect(server.requests).toHaveLength(3);
  });

  it.each([
    [['devices', 'pkA/cam-1'], 'devices: takes no device, got "pkA/cam-1"'],
    [['devices', '--refresh'], '--refresh: tokens only'],
    [['device'], 'unknown command "device": use tokens or devices'],
  ])('fails when the arguments are %j, with usage and exit 2', async (args, message) => {
    // Act
    const run = await cli(...args, '--token', 'jwt');
    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain(`visual-token-broker: ${message}`);
    expect(run.stderr).toContain('visual-token-broker devices [options]');
  });
});

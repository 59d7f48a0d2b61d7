/**
 * The CLI as a subprocess (through the package's bin shim), against the
 * local server in-process. The server uses the default dev key file, so the
 * CLI's own dev token is accepted as with `npm start`.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, TOKEN_ENV } from '../../bin/visual-token-broker.ts';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the bin without a token in the environment, resolving whatever the exit code. */
function cli(...args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env[TOKEN_ENV];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/visual-token-broker.mjs', ...args],
      { cwd: ROOT, env },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

let simulator: UpstreamSimulator;
let server: LocalServer;
let logger: ReturnType<typeof captureLogger>;

beforeAll(async () => {
  simulator = await startUpstreamSimulator({ unknownDevices: ['pkA/gone'] });
  logger = captureLogger();
  server = await startLocalServer({
    metrics: NO_METRICS,
    env: { UPSTREAM_URL: simulator.url },
    port: 0,
    logger,
  });
});

afterAll(async () => {
  await server.close();
  await simulator.close();
});

describe('visual-token-broker tokens', () => {
  it('prints a table of tokens, with a dev token against a loopback URL', async () => {
    // Act
    const run = await cli('tokens', '--url', server.url, 'pkA/cam-1', 'pkB/cam-2');
    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^DEVICE\s+RESULT\s+EXPIRES IN\s+VISUAL TOKEN$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^pkA\/cam-1\s+OK\s+\d+s\s+eyJ\S+$/),
      expect.stringMatching(/^pkB\/cam-2\s+OK\s+\d+s\s+eyJ\S+$/),
    ]);
  });

  it('prints the JSON result with --json and a given --token', async () => {
    // Prepare
    const token = await issueDevToken();
    // Act
    const run = await cli('tokens', '--url', server.url, '--token', token, '--json', 'pkA/cam-1');
    // Assess
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toEqual({
      tokens: [
        {
          productKey: 'pkA',
          deviceName: 'cam-1',
          visualToken: expect.stringMatching(/^eyJ/),
          expiresAt: expect.any(String),
          expiresIn: expect.any(Number),
        },
      ],
      failures: [],
    });
  });

  it('exits 3 when some devices got no token, listing them', async () => {
    // Act
    const run = await cli('tokens', '--url', server.url, 'pkA/cam-1', 'pkA/gone');
    // Assess
    expect(run.code).toBe(EXIT.someDevicesFailed);
    expect(run.stdout).toMatch(/^pkA\/gone\s+UPSTREAM_NO_TOKEN\s+-\s+/m);
  });

  it('fails when the token is refused, printing the problem detail', async () => {
    // Act
    const run = await cli('tokens', '--url', server.url, '--token', 'nope', 'pkA/cam-1');
    // Assess
    expect(run.code).toBe(EXIT.error);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^visual-token-broker: The bearer token is invalid or expired \(UNAUTHENTICATED, HTTP 401, request /,
    );
  });

  it('fails when a device is malformed, naming the field', async () => {
    // Act
    const run = await cli('tokens', '--url', server.url, 'pkA/bad name');
    // Assess
    expect(run.code).toBe(EXIT.error);
    expect(run.stderr).toContain('field devices[0].deviceName');
  });

  it('fails when no device is named, with usage', async () => {
    // Act
    const run = await cli('tokens', '--url', server.url);
    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('Usage: visual-token-broker tokens');
  });

  it('fails when a device is not productKey/deviceName, with usage', async () => {
    // Act
    const run = await cli('tokens', '--url', server.url, 'just-a-name');
    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('"just-a-name" is not productKey/deviceName');
  });

  it('fails when no token is given for a remote URL, without calling it', async () => {
    // Act
    const run = await cli('tokens', '--url', 'https://broker.example.com', 'pkA/cam-1');
    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('--token is required for https://broker.example.com');
  });

  it.each([
    [['--refresh'], true],
    [[], undefined],
  ])('asks the broker for a refresh with %j', async (flags, refresh) => {
    // Prepare
    const requestLines = () =>
      logger.lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'token request');
    const before = requestLines().length;
    // Act
    const run = await cli('tokens', '--url', server.url, ...flags, 'pkA/cam-1');
    // Assess
    expect(run.code).toBe(EXIT.ok);
    const lines = requestLines().slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.refresh).toBe(refresh);
  });
});

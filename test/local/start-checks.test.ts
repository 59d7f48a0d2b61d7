/**
 * What `npm start` checks before its ready line: the secret (read and
 * validated, so a bad one stops the start with its message instead of
 * failing the first request), the AWS region a SECRET_ID needs, PORT itself,
 * a port in use, and variables that look like settings but are none. And
 * what the ready line then says about the upstream.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevVerifier } from '../../functions/local/dev-issuer.ts';
import { localLookalikes } from '../../functions/local/local-settings.ts';
import { banner } from '../../functions/local/ready-line.ts';
import { startLocalServer } from '../../functions/local/server.ts';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { ConfigurationError } from '../../functions/token-broker/errors.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
let keyFile: URL;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vtb-start-checks-'));
  keyFile = pathToFileURL(join(dir, 'issuer-key.json'));
  await createDevVerifier(keyFile);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const start = (env: Record<string, string>, port = 0) =>
  startLocalServer({ env, port, keyFile, logger: captureLogger(), metrics: NO_METRICS });

async function secretFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/**
 * Runs `node functions/local/server.ts` with only `env` (and PATH, and no
 * AWS configuration files) until it exits or prints its ready line.
 */
function runStart(env: Record<string, string>) {
  const child = spawn(process.execPath, ['functions/local/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (stdout.includes('ready on')) child.kill('SIGTERM');
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start with a bad secret', () => {
  it.each([
    [
      'the file is missing',
      () => Promise.resolve(join(dir, 'nonexistent.json')),
      /names .*nonexistent\.json, which cannot be read \(ENOENT\)/,
    ],
    ['the file is not JSON', () => secretFile('not-json.json', 'userName=a'), /is not valid JSON/],
    [
      'a key is misspelt',
      () => secretFile('typo.json', JSON.stringify({ userName: 'a', password: 'b', appcode: 'c' })),
      /has unknown key "appcode"/,
    ],
  ])('fails to start when %s, with a ConfigurationError that says so', async (_, file, message) => {
    // Prepare
    const path = await file();
    // Act
    const attempt = start({ BROKER_SECRET_FILE: path });
    // Assess
    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('fails to start as a process, exit code 1 and the message, with no ready line', async () => {
    // Act
    const run = await runStart({ BROKER_SECRET_FILE: '/nonexistent.json' });
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('ready on');
    expect(run.stderr).toContain(
      'could not start: BROKER_SECRET_FILE names /nonexistent.json, which cannot be read (ENOENT)',
    );
  });

  it('fails to start when SECRET_ID is set and no AWS region is, naming the region as the cause', async () => {
    // Act
    const run = await runStart({ SECRET_ID: 'foo' });
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('ready on');
    expect(run.stderr).toContain('no AWS region is configured: set AWS_REGION');
  });
});

describe('npm start with a bad port', () => {
  it('fails to start when PORT is not a number, blaming PORT and not CORS_ALLOWED_ORIGINS', async () => {
    // Act
    const run = await runStart({ PORT: 'abc' });
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('PORT must be a whole number from 0 to 65535');
    expect(run.stderr).not.toContain('CORS_ALLOWED_ORIGINS');
  });

  it.each(['65536', '-1', '3000.5', '0x10'])('fails when PORT is %s', async (port) => {
    // Act
    const attempt = startLocalServer({ env: { PORT: port }, keyFile, logger: captureLogger() });
    // Assess
    await expect(attempt).rejects.toThrow(
      `PORT must be a whole number from 0 to 65535 (0 picks a free port), got "${port}"`,
    );
  });

  it('fails when the port is in use, suggesting PORT', async () => {
    // Prepare
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    // Act
    const attempt = start({ CORS_ALLOWED_ORIGINS: 'http://127.0.0.1:1' }, port);
    // Assess
    await expect(attempt).rejects.toThrow(
      `Port ${port} on 127.0.0.1 is in use (EADDRINUSE): stop what holds it, or set PORT to another port`,
    );
    await new Promise((resolve) => holder.close(resolve));
  });
});

describe('npm start and variables that look like settings', () => {
  it('warns on stderr before the ready line, naming the setting it resembles', async () => {
    // Act
    const run = await runStart({ MAX_DEVICE_PER_REQUEST: '1' });
    // Assess
    expect(run.stderr).toContain(
      'warning: MAX_DEVICE_PER_REQUEST is not a setting and is ignored; did you mean MAX_DEVICES_PER_REQUEST?',
    );
    expect(run.stdout).toContain('ready on');
  });

  it.each([
    [{ PORTS: '3001' }, 'PORT'],
    [{ SIMULATOR_FALT: 'delay' }, 'SIMULATOR_FAULT'],
    [{ TOKEN_TABEL: 't' }, 'TOKEN_TABLE'],
    [{ UPSTREAM_HOST: 'x' }, undefined],
  ])('finds %o, resembling %s', (env, nearest) => {
    // Act
    const found = localLookalikes(env);
    // Assess
    expect(found).toEqual([{ name: Object.keys(env)[0], nearest }]);
  });

  it('finds nothing among the local server’s own variables and the usual environment', () => {
    // Act
    const found = localLookalikes({
      PORT: '3000',
      BROKER_SECRET_FILE: 'x',
      DEMO_PORT: '1',
      LOCAL_STORE_ENGINE: 'x',
      AWS_ENDPOINT_URL_DYNAMODB: 'x',
      AWS_REGION: 'x',
      HOME: '/root',
      HOST: 'h',
      PATH: '/bin',
      TERM: 'xterm',
      NODE_OPTIONS: '',
      npm_lifecycle_event: 'start',
    });
    // Assess
    expect(found).toEqual([]);
  });
});

describe('the ready line', () => {
  let simulator: UpstreamSimulator;
  beforeAll(async () => {
    simulator = await startUpstreamSimulator();
  });
  afterAll(async () => {
    await simulator?.close();
  });

  it('names the configured upstream by its origin, not by its variable', async () => {
    // Prepare
    const server = await start({ UPSTREAM_URL: `${simulator.url}/stage` });
    // Act
    const text = await banner(server);
    await server.close();
    // Assess
    expect(text).toContain(`  upstream: ${simulator.url}\n`);
    expect(text).not.toContain('UPSTREAM_URL');
  });
});

/**
 * The client examples of docs/api.md, run as docs/api.md says, against the local
 * server in-process (with the default dev key file, as `npm start` uses).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_FUNCTION_NAME } from '../../functions/local/lambda-invoke.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const node = (args: string[], env: Record<string, string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, env: { ...process.env, ...env } },
      (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr }),
    );
  });

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer({
    metrics: NO_METRICS,
    env: {},
    port: 0,
    logger: captureLogger(),
  });
});
afterAll(() => server.close());

describe('README client examples', () => {
  it('runs the Node example of the browser client', async () => {
    // Act
    const run = await node(['examples/clients/node-client.ts'], { BROKER_URL: server.url });
    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^wkNCAsnnlsYSnI6n\/2ac4d7cffa: token valid for \d+s$/),
      expect.stringMatching(/^pk2\/cam-2: token valid for \d+s$/),
    ]);
  });

  it('runs the consumer Lambda against the local Invoke API', async () => {
    // Prepare
    const script = `
      const { handler } = await import('./examples/clients/consumer-lambda.ts');
      const result = await handler(
        { devices: [{ productKey: 'pk2', deviceName: 'cam-2' }] },
        { getRemainingTimeInMillis: () => 10_000 },
      );
      process.stdout.write(JSON.stringify(result));`;
    // Act
    const run = await node(['--input-type=module', '-e', script], {
      AWS_ENDPOINT_URL_LAMBDA: server.url,
      AWS_REGION: 'local',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      TOKEN_BROKER_FUNCTION_NAME: LOCAL_FUNCTION_NAME,
    });
    // Assess
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      tokens: [expect.objectContaining({ productKey: 'pk2', deviceName: 'cam-2' })],
      failed: [],
    });
  });

  it('fails at start when TOKEN_BROKER_FUNCTION_NAME is unset, naming the stack output and the local name', async () => {
    // Act
    const run = await node(
      ['--input-type=module', '-e', "await import('./examples/clients/consumer-lambda.ts');"],
      { AWS_REGION: 'local', TOKEN_BROKER_FUNCTION_NAME: '' },
    );
    // Assess
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `TOKEN_BROKER_FUNCTION_NAME is not set: set it to the broker stack's FunctionName output (locally: ${LOCAL_FUNCTION_NAME})`,
    );
  });
});

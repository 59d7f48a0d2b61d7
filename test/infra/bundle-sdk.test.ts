/**
 * The AWS SDK as the built Lambda bundle carries it, with its config and
 * retry modules swapped for ours (LAMBDA_ALIASES in infra/lambda-bundling.ts):
 * the bundle is loaded in a fresh process with a Lambda-like environment and
 * sends its calls to loopback stand-ins of Secrets Manager and DynamoDB. Its
 * clients still take the region from `AWS_REGION` and the endpoints from
 * `AWS_ENDPOINT_URL_*`, and still retry a throttled call as many times as
 * configured.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildLambdaBundle } from '../../scripts/build.ts';
import { PLANTED_SECRET } from '../support/fakes.ts';
import {
  type FakeSecretsManager,
  startFakeSecretsManager,
} from '../support/secrets-manager-server.ts';
import { type FaultServer, startThrottlingServer } from '../support/store-fault-servers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const SECRET_ID = 'broker/dev';
const KEY_SECRET_ID = 'broker/store-key';
/** Not the fakes' own region, so an answer in it can only come from `AWS_REGION`. */
const REGION = 'ap-southeast-2';
const EVENT = { devices: [{ productKey: 'pkA', deviceName: 'dev1' }] };

/** A loopback proxy that notes the SigV4 scope of each request and passes it on. */
interface ScopeRecorder {
  readonly url: string;
  /** `<region>/<service>/aws4_request` of each request, in order. */
  readonly scopes: string[];
  close(): Promise<void>;
}

const bodyOf = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

async function startScopeRecorder(target: string): Promise<ScopeRecorder> {
  const scopes: string[] = [];
  const server = createServer(async (req, res) => {
    const auth = req.headers.authorization ?? '';
    scopes.push(/Credential=[^/]+\/\d{8}\/([^,]+),/.exec(auth)?.[1] ?? `unsigned: ${auth}`);
    const headers = Object.entries(req.headers).flatMap(([k, v]) =>
      typeof v === 'string' && k !== 'host' && k !== 'connection' ? [[k, v] as const] : [],
    );
    const answer = await fetch(`${target}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers: Object.fromEntries(headers),
      body: await bodyOf(req),
    });
    const passOn = ['content-type', 'x-amzn-errortype'].flatMap((k) => {
      const v = answer.headers.get(k);
      return v === null ? [] : [[k, v] as const];
    });
    res.writeHead(answer.status, Object.fromEntries(passOn));
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    scopes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let outdir: string;
let bundle: string;
let home: string;
let secrets: FakeSecretsManager;
let secretsRecorder: ScopeRecorder;
let throttling: FaultServer;
let dynamoRecorder: ScopeRecorder;
/** Stands in for the upstream on loopback: drops every connection. */
let upstream: Server;

beforeAll(async () => {
  outdir = await mkdtemp(path.join(tmpdir(), 'broker-bundle-sdk-'));
  home = await mkdtemp(path.join(tmpdir(), 'broker-bundle-home-'));
  bundle = (await buildLambdaBundle(outdir)).outfile;
  secrets = await startFakeSecretsManager(PLANTED_SECRET);
  secretsRecorder = await startScopeRecorder(secrets.url);
  throttling = await startThrottlingServer();
  dynamoRecorder = await startScopeRecorder(throttling.endpoint);
  upstream = createTcpServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  await Promise.all([secretsRecorder?.close(), dynamoRecorder?.close()]);
  await Promise.all([secrets?.close(), throttling?.close()]);
  await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
  for (const dir of [outdir, home]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** Loads the bundle in a fresh process with a Lambda-like environment plus `env`; one invoke. */
async function invokeBundle(env: Record<string, string>) {
  const { stdout } = await promisify(execFile)(
    NODE,
    [path.join(ROOT, 'test/infra/invoke-bundle.ts'), bundle, JSON.stringify(EVENT)],
    {
      cwd: tmpdir(),
      env: {
        PATH: process.env.PATH ?? '',
        // An empty home: no shared config file can answer for the environment.
        HOME: home,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
        AWS_SECRET_ACCESS_KEY: 'local-test-secret-key',
        AWS_SESSION_TOKEN: 'local-test-session-token',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsRecorder.url,
        SECRET_ID,
        UPSTREAM_URL: `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        ...env,
      },
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

describe('the bundled Secrets Manager client', () => {
  test('signs for the region in AWS_REGION and retries a throttled read', async () => {
    // Prepare: a secret that is read, then refused by the broker, so the upstream is never asked.
    secrets.setSecret('[]', SECRET_ID);
    secrets.fail('throttle', 1);
    secretsRecorder.scopes.length = 0;
    const before = secrets.calls;

    // Act
    const outcome = await invokeBundle({});

    // Assess: the secret was read after one throttle; any SDK failure would be CredentialsUnavailable.
    expect(outcome).toMatchObject({ outcome: 'threw', name: 'ConfigurationError' });
    expect(secrets.calls - before).toBe(2);
    expect(secretsRecorder.scopes).toEqual([
      `${REGION}/secretsmanager/aws4_request`,
      `${REGION}/secretsmanager/aws4_request`,
    ]);
  }, 30_000);
});

describe('the bundled DynamoDB client', () => {
  test('signs for the region in AWS_REGION and makes its two attempts against a throttle', async () => {
    // Prepare
    secrets.setSecret(PLANTED_SECRET, SECRET_ID);
    secrets.setSecret('k'.repeat(40), KEY_SECRET_ID);
    secrets.fail('none');
    const before = throttling.count();

    // Act
    await invokeBundle({
      TOKEN_TABLE: 'visual-token-broker-tokens',
      TOKEN_STORE_KEY_SECRET_ID: KEY_SECRET_ID,
      // Room for the throttle's back-off (under 1 s) within the store call's deadline.
      TOKEN_STORE_TIMEOUT_MS: '5000',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoRecorder.url,
    });

    // Assess: the store's client allows two attempts (store/dynamodb-client.ts).
    const attempts = throttling.count() - before;
    expect(attempts).toBe(2);
    expect(dynamoRecorder.scopes.slice(-attempts)).toEqual([
      `${REGION}/dynamodb/aws4_request`,
      `${REGION}/dynamodb/aws4_request`,
    ]);
  }, 30_000);
});

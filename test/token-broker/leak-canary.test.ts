/**
 * The leak canary: unique strings planted as the password, the AppCode, the
 * AppKey's AppSecret and every visual token the upstream issues, then every
 * path is run — success in both gateway modes, each upstream fault, each
 * Secrets Manager fault (real SDK), stale-if-error, bad input, each auth
 * failure, direct invokes, and the local server. No canary may appear in any
 * log line, EMF line, response header, error response or thrown error; the
 * one exception is a visual token in the 200 body of a request for its own
 * device.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { createDevVerifier, issueDevToken } from '../../functions/local/dev-issuer.ts';
import { startLocalServer } from '../../functions/local/server.ts';
import { SIMULATOR_FAULTS, type SimulatorFault } from '../../functions/local/simulator-faults.ts';
import {
  type SimulatorAccount,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import type { SecretSource } from '../../functions/token-broker/credentials.ts';
import { CredentialsUnavailableError } from '../../functions/token-broker/errors.ts';
import type { HttpResponse } from '../../functions/token-broker/handler.ts';
import { createLogger } from '../../functions/token-broker/log.ts';
import { createEmfMetrics, NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../functions/token-broker/runtime.ts';
import { secretsManagerSource } from '../../functions/token-broker/secrets-manager-source.ts';
import { sdkConfigFor } from '../support/dynalite.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';
import { fakeSecretSource } from '../support/fakes.ts';
import { startFakeSecretsManager } from '../support/secrets-manager-server.ts';

const unique = (what: string) => `canary-${what}-${randomUUID()}`;

/** Planted credentials, unique to this run. */
const CANARY = {
  userName: unique('user'),
  password: unique('password'),
  appCode: unique('appcode'),
  appKey: unique('appkey'),
  appSecret: unique('appsecret'),
} as const;

const APP_CODE_ACCOUNT: SimulatorAccount = {
  userName: CANARY.userName,
  password: CANARY.password,
  appCode: CANARY.appCode,
};
const SIGNATURE_ACCOUNT: SimulatorAccount = {
  userName: CANARY.userName,
  password: CANARY.password,
  appKey: CANARY.appKey,
  appSecret: CANARY.appSecret,
};
/** A second account's planted credentials, for several accounts in one runtime. */
const CANARY_EU = {
  userName: unique('eu-user'),
  password: unique('eu-password'),
  appKey: unique('eu-appkey'),
  appSecret: unique('eu-appsecret'),
} as const;
const APP_CODE_SECRET = JSON.stringify(APP_CODE_ACCOUNT);
const SIGNATURE_SECRET = JSON.stringify(SIGNATURE_ACCOUNT);

/** Everything a caller or an operator could see. */
const logLines: string[] = [];
/** Answers, each with the devices its request asked for. */
const answers: Array<{ path: string; status: number; text: string; devices: string[] }> = [];
const simulators: UpstreamSimulator[] = [];
const paths = new Set<string>();

const logger = createLogger({ level: 'debug', write: (l) => logLines.push(l) });
const metrics = createEmfMetrics({ write: (l) => logLines.push(l) });

const device = (n: number) => ({ productKey: 'pk1', deviceName: `cam${n}` });
const ids = (devices: ReadonlyArray<{ productKey: string; deviceName: string }>) =>
  devices.map((d) => `${d.productKey}#${d.deviceName}`);

async function simulator(account: SimulatorAccount, fault?: SimulatorFault) {
  const sim = await startUpstreamSimulator({ account, ...(fault ? { fault } : {}) });
  simulators.push(sim);
  return sim;
}

function runtime(
  upstreamUrl: string,
  secretSource: SecretSource,
  env: Record<string, string> = {},
) {
  const config = loadConfig(
    { SECRET_ID: 'leak/secret', UPSTREAM_URL: upstreamUrl, UPSTREAM_TIMEOUT_MS: '200', ...env },
    { allowLoopbackHttp: true },
  );
  return createRuntime(config, { secretSource, logger, metrics, sleep: async () => {} }).handler;
}

type Handler = ReturnType<typeof runtime>;

async function http(
  path: string,
  handler: Handler,
  devices: ReadonlyArray<{ productKey: string; deviceName: string }>,
  options: Parameters<typeof httpApiEvent>[0] = {},
) {
  paths.add(path);
  const response = (await handler(
    httpApiEvent({ body: { devices }, ...options }),
    lambdaContext(),
  )) as HttpResponse;
  answers.push({
    path,
    status: response.statusCode,
    text: `${JSON.stringify(response.headers)}\n${response.body}`,
    devices: ids(devices),
  });
  return response;
}

async function direct(path: string, handler: Handler, event: unknown) {
  paths.add(path);
  const devices =
    typeof event === 'object' && event !== null && 'devices' in event
      ? ids(event.devices as Array<{ productKey: string; deviceName: string }>)
      : [];
  try {
    const result = await handler(event, lambdaContext());
    answers.push({ path, status: 200, text: JSON.stringify(result), devices });
  } catch (error) {
    const e = error as Error;
    // What the Lambda runtime would serialise, and then some.
    const text = JSON.stringify({
      name: e.name,
      message: e.message,
      stack: e.stack,
      cause: String(e.cause),
      own: Object.entries(e),
    });
    answers.push({ path, status: 500, text, devices });
  }
}

const headerText = (headers: Headers) => {
  const all: string[] = [];
  headers.forEach((value, name) => {
    all.push(`${name}: ${value}`);
  });
  return all.join('\n');
};

let dir: string;
afterAll(async () => {
  await Promise.all(simulators.map((s) => s.close()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('every path, with canaries planted', () => {
  it('succeeds in AppCode mode, then serves from the cache', async () => {
    const sim = await simulator(APP_CODE_ACCOUNT);
    const handler = runtime(sim.url, fakeSecretSource(APP_CODE_SECRET));
    expect((await http('success appCode', handler, [device(1), device(2)])).statusCode).toBe(200);
    expect((await http('cache hit', handler, [device(1)])).statusCode).toBe(200);
    await direct('direct success', handler, { devices: [device(3)] });
  });

  it('succeeds in signature mode, and fails when the gateway refuses the AppSecret', async () => {
    const good = await simulator(SIGNATURE_ACCOUNT);
    const refusing = await simulator({ ...SIGNATURE_ACCOUNT, appSecret: 'another-secret' });
    const ok = await http(
      'success signature',
      runtime(good.url, fakeSecretSource(SIGNATURE_SECRET)),
      [device(4)],
    );
    const refused = await http(
      'signature refused',
      runtime(refusing.url, fakeSecretSource(SIGNATURE_SECRET)),
      [device(5)],
    );
    expect([ok.statusCode, refused.statusCode]).toEqual([200, 502]);
  });

  it.each(SIMULATOR_FAULTS)('survives the upstream fault %s', async (kind) => {
    const sim = await simulator(APP_CODE_ACCOUNT, { kind, delayMs: 400 });
    const handler = runtime(sim.url, fakeSecretSource(APP_CODE_SECRET));
    await http(`upstream ${kind}`, handler, [device(10), device(11)]);
    await direct(`direct upstream ${kind}`, handler, { devices: [device(12)] });
    expect(sim.requests()).toBeGreaterThan(0);
  });

  it('survives the upstream refusing the password, and the circuit opening', async () => {
    const sim = await simulator({ ...APP_CODE_ACCOUNT, password: 'rotated-elsewhere' });
    const refusing = runtime(sim.url, fakeSecretSource(APP_CODE_SECRET));
    expect((await http('password refused', refusing, [device(20)])).statusCode).toBe(502);
    const down = runtime('http://127.0.0.1:9', fakeSecretSource(APP_CODE_SECRET), {
      CIRCUIT_BREAKER_THRESHOLD: '1',
      UPSTREAM_MAX_RETRIES: '0',
    });
    await http('upstream down', down, [device(21)]);
    expect((await http('circuit open', down, [device(21)])).statusCode).toBe(503);
  });

  it.each([
    ['not JSON', `{${CANARY.password} ${CANARY.appCode} ${CANARY.appSecret}`],
    ['a misspelt key', JSON.stringify({ ...APP_CODE_ACCOUNT, appcode: CANARY.appCode })],
    ['both gateway modes', JSON.stringify({ ...SIGNATURE_ACCOUNT, appCode: CANARY.appCode })],
    ['a non-string value', JSON.stringify({ ...APP_CODE_ACCOUNT, password: [CANARY.password] })],
    ['an AppKey without AppSecret', JSON.stringify({ ...SIGNATURE_ACCOUNT, appSecret: undefined })],
  ])('fails closed on a secret that is %s', async (what, secret) => {
    const sim = await simulator(APP_CODE_ACCOUNT);
    const response = await http(`secret ${what}`, runtime(sim.url, fakeSecretSource(secret)), [
      device(30),
    ]);
    expect(response.statusCode).toBe(500);
    expect(sim.requests()).toBe(0);
  });

  it('leaks neither account’s credentials with several accounts, one down, one broken', async () => {
    const cn = await simulator(APP_CODE_ACCOUNT);
    const eu = await simulator(CANARY_EU);
    const secrets = {
      cn: JSON.stringify({ ...APP_CODE_ACCOUNT, upstreamUrl: cn.url }),
      eu: JSON.stringify({ ...CANARY_EU, upstreamUrl: eu.url }),
    };
    const config = loadConfig(
      {
        SECRET_ID: 'leak/cn',
        UPSTREAM_URL: 'http://127.0.0.1:9',
        UPSTREAM_TIMEOUT_MS: '200',
        UPSTREAM_ACCOUNTS: 'eu=leak/eu',
        ACCOUNT_ROUTES: 'pk1=default,pkEu=eu',
      },
      { allowLoopbackHttp: true },
    );
    const { handler } = createRuntime(config, {
      secretSource: fakeSecretSource(() => Promise.resolve(secrets.cn)),
      secretSourceOf: () => fakeSecretSource(() => Promise.resolve(secrets.eu)),
      allowLoopbackHttp: true,
      logger,
      metrics,
      sleep: async () => {},
    });
    const both = [device(40), { productKey: 'pkEu', deviceName: 'cam41' }];
    expect((await http('accounts both served', handler, both)).statusCode).toBe(200);
    eu.setFault({ kind: 'status-500' });
    const partial = await http('accounts one down', handler, [
      device(42),
      { productKey: 'pkEu', deviceName: 'cam43' },
    ]);
    await direct('direct accounts one down', handler, {
      devices: [{ productKey: 'pkEu', deviceName: 'cam44' }],
    });
    eu.setFault(undefined);
    eu.setAccount({ ...CANARY_EU, password: 'rotated-elsewhere' });
    const refused = await http('accounts one refused', handler, [
      device(45),
      { productKey: 'pkEu', deviceName: 'cam46' },
    ]);
    expect([partial.statusCode, refused.statusCode]).toEqual([200, 200]);
    expect(JSON.parse(refused.body).failures).toEqual([
      expect.objectContaining({ deviceName: 'cam46', code: expect.stringMatching(/^UPSTREAM_/) }),
    ]);
  });

  it('fails closed on each Secrets Manager fault, through the real SDK client', async () => {
    const endpoint = await startFakeSecretsManager(APP_CODE_SECRET);
    try {
      const sim = await simulator(APP_CODE_ACCOUNT);
      const client = new SecretsManagerClient({ ...sdkConfigFor(endpoint.url), maxAttempts: 1 });
      for (const fault of [
        'notFound',
        'accessDenied',
        'serverError',
        'reset',
        'throttle',
      ] as const) {
        endpoint.fail(fault);
        const handler = runtime(sim.url, secretsManagerSource(client, 'leak/secret'));
        const response = await http(`secrets manager ${fault}`, handler, [device(31)]);
        expect(response.statusCode).toBeGreaterThanOrEqual(500);
      }
      expect(sim.requests()).toBe(0);
    } finally {
      await endpoint.close();
    }
  });

  it('serves a stale secret after a failed refresh, with a warning', async () => {
    const sim = await simulator(APP_CODE_ACCOUNT);
    let fail = false;
    const source = fakeSecretSource(async () => {
      if (fail) throw new CredentialsUnavailableError(`store down (${CANARY.password.length})`);
      return APP_CODE_SECRET;
    });
    const handler = runtime(sim.url, source, { SECRET_CACHE_SECONDS: '0' });
    await http('stale: first fetch', handler, [device(40)]);
    fail = true;
    expect((await http('stale: served', handler, [device(41)])).statusCode).toBe(200);
    expect(logLines.some((l) => l.includes('serving the cached secret'))).toBe(true);
  });

  it.each([
    ['an invalid device', { body: { devices: [{ productKey: '', deviceName: 'x' }] } }],
    [
      'an unknown field',
      { body: { devices: [device(50)], password: CANARY.password.slice(0, 3) } },
    ],
    ['a wrong content type', { headers: { 'content-type': 'text/plain' } }],
    ['an oversized body', { body: 'x'.repeat(20_000) }],
    [
      'invalid UTF-8',
      { body: Buffer.from([0xc3, 0x28]).toString('base64'), isBase64Encoded: true },
    ],
    ['a GET', { method: 'GET' }],
    ['no verified identity', { claims: undefined }],
    ['a forbidden device', { claims: { sub: 'bob', devices: 'pk9/only' } }],
    [
      'a malformed grant claim',
      { claims: { sub: 'bob', devices: ['pk1', 42] as unknown as string } },
    ],
  ])('refuses %s', async (what, options) => {
    const sim = await simulator(APP_CODE_ACCOUNT);
    const handler = runtime(sim.url, fakeSecretSource(APP_CODE_SECRET));
    const event = httpApiEvent({ body: { devices: [device(50)] }, ...options });
    if (what === 'no verified identity') {
      (event.requestContext as { authorizer?: unknown }).authorizer = undefined;
    }
    paths.add(`bad input: ${what}`);
    const response = (await handler(event, lambdaContext())) as HttpResponse;
    answers.push({
      path: `bad input: ${what}`,
      status: response.statusCode,
      text: `${JSON.stringify(response.headers)}\n${response.body}`,
      devices: [],
    });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(sim.requests()).toBe(0);
    await direct(`direct bad input: ${what}`, handler, { devices: [{ productKey: 1 }] });
  });

  it('leaks nothing through the local server, its 401s included', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vtb-leak-'));
    const keyFile = pathToFileURL(join(dir, 'issuer-key.json'));
    const secretFile = join(dir, 'secret.json');
    await writeFile(secretFile, APP_CODE_SECRET, { mode: 0o600 });
    await createDevVerifier(keyFile);
    const sim = await simulator(APP_CODE_ACCOUNT);
    const server = await startLocalServer({
      metrics: NO_METRICS,
      env: { UPSTREAM_URL: sim.url, BROKER_SECRET_FILE: secretFile },
      port: 0,
      keyFile,
      logger,
    });
    try {
      const good = await issueDevToken({ keyFile });
      const expired = await issueDevToken({ keyFile, expiresInSeconds: -60 });
      for (const [what, authorization] of [
        ['local success', `Bearer ${good}`],
        ['local no bearer', undefined],
        ['local expired bearer', `Bearer ${expired}`],
        ['local garbage bearer', 'Bearer not.a.jwt'],
      ] as const) {
        const devices = [device(60)];
        paths.add(what);
        const response = await fetch(`${server.url}/tokens`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(authorization ? { authorization } : {}),
          },
          body: JSON.stringify({ devices }),
        });
        answers.push({
          path: what,
          status: response.status,
          text: `${headerText(response.headers)}\n${await response.text()}`,
          devices: ids(devices),
        });
      }
    } finally {
      await server.close();
    }
    expect(answers.filter((a) => a.path.startsWith('local')).map((a) => a.status)).toEqual([
      200, 401, 401, 401,
    ]);
  });
});

describe('the canaries', () => {
  const issued = () => simulators.flatMap((s) => s.issued);
  /**
   * A token and its telling parts: the JWT payload and signature. The header
   * (`{"alg":"HS256"}`) is the same in every token, so it tells nothing.
   */
  const fragments = (token: string) => [
    token,
    ...token
      .split('.')
      .slice(1)
      .filter((p) => p.length >= 16),
  ];

  it('were planted and exercised', () => {
    expect(paths.size).toBeGreaterThanOrEqual(70);
    expect(answers.length).toBeGreaterThanOrEqual(paths.size);
    expect(issued().length).toBeGreaterThanOrEqual(10);
    expect(logLines.length).toBeGreaterThanOrEqual(answers.length);
  });

  it.each([
    ['password', CANARY.password],
    ['appCode', CANARY.appCode],
    ['appSecret', CANARY.appSecret],
    ['second account’s password', CANARY_EU.password],
    ['second account’s appSecret', CANARY_EU.appSecret],
  ] as const)(
    'never shows the %s in a log line, an EMF line, a response or a thrown error',
    (_, canary) => {
      const leaks = [...logLines, ...answers.map((a) => a.text)].filter((t) => t.includes(canary));
      expect(leaks).toEqual([]);
    },
  );

  it('never logs a visual token, nor a telling part of one', () => {
    const leaks = issued().flatMap((token) =>
      fragments(token).flatMap((f) => logLines.filter((l) => l.includes(f))),
    );
    expect(leaks).toEqual([]);
  });

  it('shows a visual token only in the 200 answer to a request for its own device', () => {
    const misplaced: string[] = [];
    for (const token of issued()) {
      const sub = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sub;
      for (const answer of answers) {
        if (!fragments(token).some((f) => answer.text.includes(f))) continue;
        if (answer.status !== 200 || !answer.devices.includes(sub)) {
          misplaced.push(`${answer.path}: token for ${sub}`);
        }
      }
    }
    expect(misplaced).toEqual([]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEV_ACCOUNT,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../../functions/token-broker/config.ts';
import type { Credentials } from '../../../functions/token-broker/credentials.ts';
import type { HttpResponse } from '../../../functions/token-broker/handler.ts';
import { createLogger } from '../../../functions/token-broker/log.ts';
import { createEmfMetrics } from '../../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../../functions/token-broker/runtime.ts';
import {
  createLoginClient,
  LOGIN_PATH,
  parseLoginResponse,
  REFUSAL_REASONS,
  summariseRefusal,
} from '../../../functions/token-broker/upstream/login-client.ts';
import { httpApiEvent, lambdaContext } from '../../support/events.ts';
import { fakeSecretSource, PLANTED, PLANTED_SECRET } from '../../support/fakes.ts';

const credentials: Credentials = {
  userName: DEV_ACCOUNT.userName,
  password: DEV_ACCOUNT.password,
  gateway: { mode: 'appCode', appCode: DEV_ACCOUNT.appCode },
};
const devices = [
  { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' },
  { productKey: 'pk2', deviceName: 'dev-2' },
];

describe('login client against a loopback upstream', () => {
  let simulator: UpstreamSimulator;
  beforeEach(async () => {
    simulator = await startUpstreamSimulator({ unknownDevices: ['pk2/dev-2'] });
  });
  afterEach(() => simulator.close());

  it('sends the provider body with the AppCode, and returns tokens for known devices', async () => {
    // Prepare
    const client = createLoginClient({ baseUrl: simulator.url, timeoutMs: 3000 });
    // Act
    const tokens = await client.login(credentials, devices);
    // Assess
    expect(simulator.logins).toHaveLength(1);
    const login = simulator.logins[0];
    expect(login?.headers.authorization).toBe(`APPCODE ${DEV_ACCOUNT.appCode}`);
    expect(JSON.parse(login?.body.toString() ?? '')).toEqual({
      userName: DEV_ACCOUNT.userName,
      password: DEV_ACCOUNT.password,
      deviceList: devices,
    });
    expect(tokens).toEqual([
      { device: devices[0], visualToken: expect.stringMatching(/^eyJ/), expire: 3600 },
    ]);
  });

  it('fails when the upstream says success:false, with UPSTREAM_REJECTED', async () => {
    // Prepare
    const client = createLoginClient({ baseUrl: simulator.url, timeoutMs: 3000 });
    // Act
    const error = await client
      .login({ ...credentials, password: 'wrong' }, devices)
      .catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ name: 'UpstreamRejectedError', code: 'UPSTREAM_REJECTED' });
    expect((error as Error).message).toContain('user name or password is incorrect');
  });

  it('fails when the gateway refuses the AppCode, with UPSTREAM_REJECTED', async () => {
    // Prepare
    const client = createLoginClient({ baseUrl: simulator.url, timeoutMs: 3000 });
    // Act
    const error = await client
      .login({ ...credentials, gateway: { mode: 'appCode', appCode: 'wrong' } }, devices)
      .catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({
      code: 'UPSTREAM_REJECTED',
      message: expect.stringContaining('HTTP 401'),
    });
  });

  it('fails when nothing listens, with UPSTREAM_ERROR', async () => {
    // Prepare
    const url = simulator.url;
    await simulator.close();
    const client = createLoginClient({ baseUrl: url, timeoutMs: 3000 });
    // Act
    const error = await client.login(credentials, devices).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({
      code: 'UPSTREAM_ERROR',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    simulator = await startUpstreamSimulator();
  });

  it('posts to the documented path', () => {
    expect(LOGIN_PATH).toBe('/v1.0/openapi/visual/d/user/login');
  });
});

describe('gateway answers that are not JSON logins', () => {
  it('fails when the gateway throttles with 403 flow control, with a transient UPSTREAM_ERROR', () => {
    // Prepare
    const meta = { gatewayError: 'Throttled by API Flow Control', retryAfter: '2', now: () => 0 };
    // Act
    const error = (() => {
      try {
        return parseLoginResponse(403, '', devices, meta);
      } catch (e) {
        return e;
      }
    })();
    // Assess
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', transient: true, retryAfterMs: 2000 });
  });

  it('fails when a 403 carries no flow-control message, with UPSTREAM_REJECTED', () => {
    // Prepare
    const meta = { gatewayError: 'Unauthorized' };
    // Act
    const error = (() => {
      try {
        return parseLoginResponse(403, '', devices, meta);
      } catch (e) {
        return e;
      }
    })();
    // Assess
    expect(error).toMatchObject({ code: 'UPSTREAM_REJECTED' });
  });
});

describe('the upstream refusal msg', () => {
  const password = PLANTED.password;
  const appCode = PLANTED.appCode;
  /** A credential in the forms an upstream might echo it, none an exact copy. */
  const forms = {
    'the password truncated': password.slice(0, 12),
    'the password upper-cased': password.toUpperCase(),
    'the password in base64': Buffer.from(password).toString('base64'),
    'the password in base64url': Buffer.from(password).toString('base64url'),
    'the AppCode upper-cased': appCode.toUpperCase(),
    'the AppCode reversed': [...appCode].reverse().join(''),
  } as const;

  /** A runtime whose upstream refuses every login with `msg`, logging into `lines`. */
  const refusingRuntime = (msg: unknown, lines: string[]) => {
    const config = loadConfig({
      SECRET_ID: 'leak/secret',
      UPSTREAM_URL: 'https://upstream.invalid',
      UPSTREAM_MAX_RETRIES: '0',
    });
    return createRuntime(config, {
      secretSource: fakeSecretSource(PLANTED_SECRET),
      logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
      metrics: createEmfMetrics({ write: (l) => lines.push(l) }),
      transport: {
        async post() {
          const text = JSON.stringify({ success: false, msg });
          return { status: 200, header: () => undefined, text };
        },
      },
    });
  };

  it.each(Object.entries(forms))(
    'fails when the msg quotes %s, and logs none of it',
    async (_form, quoted) => {
      // Prepare
      const lines: string[] = [];
      const msg = `login refused for password "${quoted}" (${password.slice(0, 6)}…)`;
      const { handler } = refusingRuntime(msg, lines);
      // Act
      const response = (await handler(
        httpApiEvent({ body: { devices: [devices[0]] } }),
        lambdaContext(),
      )) as HttpResponse;
      // Assess
      expect(response.statusCode).toBe(502);
      expect(JSON.parse(response.body).code).toBe('UPSTREAM_REJECTED');
      const leaked = [...lines, response.body].filter(
        (l) =>
          l.includes(quoted) || l.includes(password.slice(0, 6)) || l.includes('login refused'),
      );
      expect(leaked).toEqual([]);
      expect(lines.join('\n')).toMatch(
        new RegExp(
          `user name or password is incorrect.*msg redacted \\(${msg.length} chars, hash [0-9a-f]{8}\\)`,
        ),
      );
    },
  );

  it.each([
    ['Wrong password for this user', 'user name or password is incorrect'],
    ['用户名或密码错误', 'user name or password is incorrect'],
    ['Account is locked', 'account locked or disabled'],
    ['Too many requests, try later', 'rate limited'],
    ['device not exist', 'device not found or not bound'],
    ['something else entirely', 'unrecognised message'],
    ['', 'no message'],
    [null, 'no message'],
    [{ text: 'an object' }, 'no message'],
  ])('maps the msg %j to the reason "%s", and only that', (msg, reason) => {
    // Act
    const summary = summariseRefusal(msg);
    // Assess
    expect(summary).toContain(`reason "${reason}"`);
    if (typeof msg === 'string' && msg !== '') expect(summary).not.toContain(msg);
  });

  it('hashes equal messages alike and different ones apart', () => {
    // Act
    const [a, b, c] = ['bad password', 'bad password', 'bad passwore'].map(summariseRefusal);
    // Assess
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(REFUSAL_REASONS.map(([r]) => r)).toContain('user name or password is incorrect');
  });
});

import { Client } from 'aliyun-api-gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTROL_MAX_BODY_BYTES, CONTROL_PATH } from '../../functions/local/simulator-control.ts';
import { parseSimulatorFault } from '../../functions/local/simulator-faults.ts';
import { parseTokenLifetime } from '../../functions/local/simulator-tokens.ts';
import {
  DEV_SIGNATURE_ACCOUNT,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { LOGIN_PATH } from '../../functions/token-broker/upstream/login-client.ts';
import { localServerPerTest } from '../support/local-server.ts';
import { rawRequest } from '../support/raw-http.ts';

let simulator: UpstreamSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

describe('upstream simulator fault switches', () => {
  it('parses SIMULATOR_FAULT as kind or kind:times', () => {
    // Act / Assess
    expect(parseSimulatorFault('status-503')).toEqual({ kind: 'status-503' });
    expect(parseSimulatorFault('reset:2')).toEqual({ kind: 'reset', times: 2 });
  });

  it('fails when SIMULATOR_FAULT names an unknown fault, listing the valid ones', () => {
    // Act
    const attempt = () => parseSimulatorFault('explode');
    // Assess
    expect(attempt).toThrow(/unknown simulator fault "explode"; one of delay, status-500/);
  });

  it('switches a fault on and off through the control endpoint, for `npm start`', async () => {
    // Prepare
    simulator = await startUpstreamSimulator();
    const post = (path: string, body: unknown) =>
      fetch(`${simulator?.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // Act
    const set = await post(CONTROL_PATH, { fault: 'status-503:1' });
    const faulty = await post(LOGIN_PATH, {});
    const healed = await post(LOGIN_PATH, {});
    // Assess
    expect(set.status).toBe(200);
    expect(faulty.status).toBe(503);
    expect(healed.status).toBe(401); // past the fault: the gateway wants its AppCode
  });
});

describe('upstream simulator control endpoint', () => {
  const control = (options: Omit<Parameters<typeof rawRequest>[0], 'url' | 'path'>) =>
    rawRequest({ url: simulator?.url ?? '', path: CONTROL_PATH, ...options });
  const FAULT = JSON.stringify({ fault: 'status-503' });
  const loginStatus = async () =>
    (await fetch(`${simulator?.url}${LOGIN_PATH}`, { method: 'POST', body: '{}' })).status;

  it('fails when the issue’s 100 MB text/plain body comes with Host evil.example, with 421 before reading it', async () => {
    // Prepare
    simulator = await startUpstreamSimulator();
    // Act
    const response = await control({
      headers: { host: 'evil.example', 'content-type': 'text/plain' },
      body: Buffer.alloc(64 * 1024, 'x'),
      declaredLength: 100 * 1024 * 1024,
    });
    // Assess
    expect(response.status).toBe(421);
    expect(response.headers.connection).toBe('close');
  });

  it.each([
    [
      'the Host names another host',
      { host: 'evil.example', 'content-type': 'application/json' },
      421,
    ],
    ['the Content-Type is text/plain', { 'content-type': 'text/plain;charset=UTF-8' }, 415],
    ['there is no Content-Type', {}, 415],
  ] as const)('fails when %s, and plays no fault', async (_name, headers, status) => {
    // Prepare
    simulator = await startUpstreamSimulator();
    // Act
    const response = await control({ headers, body: FAULT });
    // Assess
    expect(response.status).toBe(status);
    expect(await loginStatus()).toBe(401); // no fault: the gateway wants its AppCode
  });

  it.each([
    ['declared in Content-Length', CONTROL_MAX_BODY_BYTES + 1],
    ['chunked, counted as it arrives', undefined],
  ] as const)('fails when a body is over the cap %s, with 413', async (_name, declaredLength) => {
    // Prepare
    simulator = await startUpstreamSimulator();
    const body = Buffer.alloc(CONTROL_MAX_BODY_BYTES + 1, ' ');
    // Act
    const response = await control({
      headers: { 'content-type': 'application/json' },
      body: declaredLength === undefined ? body : body.subarray(0, 1024),
      ...(declaredLength === undefined ? {} : { declaredLength }),
    });
    // Assess
    expect(response.status).toBe(413);
  });

  it('answers to localhost as well as 127.0.0.1', async () => {
    // Prepare
    simulator = await startUpstreamSimulator();
    const port = new URL(simulator.url).port;
    // Act
    const response = await control({
      headers: { host: `localhost:${port}`, 'content-type': 'application/json' },
      body: FAULT,
    });
    // Assess
    expect(response.status).toBe(200);
    expect(await loginStatus()).toBe(503);
  });
});

describe('upstream simulator, signed by Alibaba Cloud’s own SDK (aliyun-api-gateway)', () => {
  // UTF-8 in the body: Content-MD5 and the signature are over its bytes.
  const ACCOUNT = { ...DEV_SIGNATURE_ACCOUNT, userName: '开发者-dev', password: 'pässwörd' };
  const DEVICE = { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '摄像头-1' };
  const login = (appSecret: string) =>
    new Client(ACCOUNT.appKey, appSecret).post(`${simulator?.url}${LOGIN_PATH}`, {
      data: { userName: ACCOUNT.userName, password: ACCOUNT.password, deviceList: [DEVICE] },
      timeout: 5000,
    });

  it('accepts a login the SDK signs, which carries no X-Ca-Signature-Method', async () => {
    // Prepare
    simulator = await startUpstreamSimulator({ account: ACCOUNT });

    // Act
    const answer = await login(ACCOUNT.appSecret);

    // Assess
    expect(simulator.logins[0]?.headers['x-ca-signature-method']).toBeUndefined();
    expect(simulator.logins[0]?.headers['x-ca-signature']).toEqual(expect.any(String));
    expect(answer).toMatchObject({
      success: true,
      data: { deviceVisualTokenList: [{ ...DEVICE, visualToken: expect.any(String) }] },
    });
  });

  it('fails when the SDK signs with another AppSecret, with 400 Invalid Signature', async () => {
    // Prepare
    simulator = await startUpstreamSimulator({ account: ACCOUNT });

    // Act
    const attempt = login('not-the-app-secret');

    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: 400,
      message: expect.stringContaining('error message: Invalid Signature'),
    });
    expect(simulator.logins).toEqual([]);
  });

  it('fails when a request names a method the gateway does not use, with 400', async () => {
    // Prepare
    simulator = await startUpstreamSimulator({ account: ACCOUNT });

    // Act
    const response = await fetch(`${simulator.url}${LOGIN_PATH}`, {
      method: 'POST',
      headers: { 'x-ca-key': ACCOUNT.appKey, 'x-ca-signature-method': 'HmacMD5' },
      body: '{}',
    });

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-ca-error-message')).toBe('Invalid Signature Method');
  });
});

describe('short-lived simulator tokens, to try renewal in a minute', () => {
  const startLocal = localServerPerTest();

  async function tokensFrom(env: Record<string, string>) {
    const { post } = await startLocal(env);
    const response = await post([{ productKey: 'pkA', deviceName: 'dev1' }]);
    return (await response.json()) as { tokens: Array<{ expiresIn: number }> };
  }

  it('npm start with SIMULATOR_TOKEN_LIFETIME_SECONDS=60 hands out tokens that end within a minute', async () => {
    // Prepare
    const env = { SIMULATOR_TOKEN_LIFETIME_SECONDS: '60', MIN_TOKEN_VALIDITY_SECONDS: '10' };

    // Act
    const answer = await tokensFrom(env);

    // Assess
    expect(answer.tokens[0]?.expiresIn).toBeGreaterThan(50);
    expect(answer.tokens[0]?.expiresIn).toBeLessThanOrEqual(60);
  });

  it('issues hour-long tokens when the setting is unset', async () => {
    // Act
    const answer = await tokensFrom({});

    // Assess
    expect(answer.tokens[0]?.expiresIn).toBeGreaterThan(3500);
  });

  it.each(['0', '1.5', 'soon', '86401'])(
    'fails when the lifetime is "%s", naming the variable',
    (raw) => {
      // Act
      const attempt = () => parseTokenLifetime(raw, 'SIMULATOR_TOKEN_LIFETIME_SECONDS');

      // Assess
      expect(attempt).toThrow(
        `SIMULATOR_TOKEN_LIFETIME_SECONDS must be a whole number of seconds from 1 to 86400, got "${raw}"`,
      );
    },
  );

  it('fails to start npm start when the lifetime is not a number', async () => {
    // Act
    const attempt = tokensFrom({ SIMULATOR_TOKEN_LIFETIME_SECONDS: 'soon' });

    // Assess
    await expect(attempt).rejects.toThrow(/SIMULATOR_TOKEN_LIFETIME_SECONDS must be/);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEV_ACCOUNT,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../../functions/local/upstream-simulator.ts';
import type { Credentials } from '../../../functions/token-broker/credentials.ts';
import {
  createLoginClient,
  LOGIN_PATH,
} from '../../../functions/token-broker/upstream/login-client.ts';

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

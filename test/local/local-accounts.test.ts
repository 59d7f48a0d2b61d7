/**
 * The multi-account mode's parts, below the broker (issue 18): the
 * `LOCAL_ACCOUNTS` setting, and one simulator per account, each a data
 * centre of its own that checks logins against its own account only, so a
 * login made with another account's credentials or gateway signature is
 * refused. Real loopback simulators; the requests are signed by the
 * broker's own gateway-auth module.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type LocalAccount,
  type LocalAccounts,
  startLocalAccounts,
} from '../../functions/local/local-account-set.ts';
import {
  defaultRoutes,
  devAccountOf,
  parseLocalAccounts,
  productKeyOf,
} from '../../functions/local/local-accounts.ts';
import {
  DEV_ACCOUNT,
  DEV_SIGNATURE_ACCOUNT,
  type SimulatorAccount,
} from '../../functions/local/upstream-simulator.ts';
import { parseCredentials } from '../../functions/token-broker/credentials.ts';
import { gatewayAuthHeaders } from '../../functions/token-broker/upstream/gateway-auth.ts';
import { LOGIN_PATH } from '../../functions/token-broker/upstream/login-client.ts';

let running: LocalAccounts | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** A login to `account`'s simulator made with `credentials`, signed as the broker signs. */
async function loginAs(account: LocalAccount, credentials: SimulatorAccount) {
  const gateway = parseCredentials(JSON.stringify(credentials), 'test').gateway;
  const body = Buffer.from(
    JSON.stringify({
      userName: credentials.userName,
      password: credentials.password,
      deviceList: [{ productKey: account.productKey, deviceName: 'cam1' }],
    }),
  );
  const headers = {
    accept: 'application/json',
    'content-type': 'application/json; charset=utf-8',
  };
  const response = await fetch(`${account.upstreamUrl}${LOGIN_PATH}`, {
    method: 'POST',
    headers: {
      ...headers,
      ...gatewayAuthHeaders(gateway, { method: 'POST', pathAndQuery: LOGIN_PATH, headers, body }),
    },
    body,
  });
  return {
    status: response.status,
    gatewayError: response.headers.get('x-ca-error-message'),
    body: (await response.json()) as { success?: boolean },
  };
}

describe('LOCAL_ACCOUNTS', () => {
  it('names accounts, or accounts with a running simulator on loopback', () => {
    // Act
    const plain = parseLocalAccounts(' cn , eu ');
    const given = parseLocalAccounts('cn=http://127.0.0.1:4100/,us-east=http://localhost:4101');

    // Assess
    expect(plain).toEqual([{ name: 'cn' }, { name: 'eu' }]);
    expect(given).toEqual([
      { name: 'cn', upstreamUrl: 'http://127.0.0.1:4100' },
      { name: 'us-east', upstreamUrl: 'http://localhost:4101' },
    ]);
    expect(parseLocalAccounts(undefined)).toBeUndefined();
    expect(parseLocalAccounts(' , ')).toBeUndefined();
  });

  it('routes each account its own product key, and every other product to default', () => {
    // Act
    const routes = defaultRoutes([{ name: 'cn' }, { name: 'us-east' }]);

    // Assess
    expect(routes).toEqual({ pkCn: 'cn', pkUsEast: 'us-east', '*': 'default' });
    expect(productKeyOf('eu')).toBe('pkEu');
  });

  it.each([
    ['cn,EU', /LOCAL_ACCOUNTS names "EU": each entry must be an account name/],
    ['cn;eu', /LOCAL_ACCOUNTS names "cn;eu"/],
    ['default', /LOCAL_ACCOUNTS names "default".*other than default/],
    ['cn,cn', /LOCAL_ACCOUNTS names cn twice/],
    ['a-1b,a1b', /LOCAL_ACCOUNTS: two accounts would share the product key pkA1b/],
    ['cn=https://gateway.example.com', /LOCAL_ACCOUNTS gives cn the upstream .* on 127\.0\.0\.1/],
    ['cn=not a url', /LOCAL_ACCOUNTS gives cn the upstream "not a url"/],
    ['a,b,c,d,e,f,g,h,i', /LOCAL_ACCOUNTS names 9 accounts; at most 8/],
  ])('fails when LOCAL_ACCOUNTS is %s, naming the setting', (raw, message) => {
    // Act
    const attempt = () => parseLocalAccounts(raw);

    // Assess
    expect(attempt).toThrow(message);
  });

  it('gives each account credentials of its own in the gateway mode of the base', () => {
    // Act
    const cn = devAccountOf('cn', DEV_SIGNATURE_ACCOUNT);
    const eu = devAccountOf('eu', DEV_SIGNATURE_ACCOUNT);

    // Assess
    expect(Object.keys(cn).sort()).toEqual(Object.keys(DEV_SIGNATURE_ACCOUNT).sort());
    for (const key of Object.keys(cn) as (keyof typeof cn)[]) {
      expect(cn[key], key).not.toBe(eu[key]);
    }
  });
});

describe.each([
  { mode: 'AppCode', base: DEV_ACCOUNT as SimulatorAccount },
  { mode: 'signature', base: DEV_SIGNATURE_ACCOUNT as SimulatorAccount },
])('one simulator per account, gateway $mode', ({ base }) => {
  it('accepts each account’s own login at its own simulator only', async () => {
    // Prepare
    running = await startLocalAccounts(parseLocalAccounts('cn,eu') ?? [], { base });
    const [cn, eu] = running.accounts as [LocalAccount, LocalAccount];

    // Act
    const own = await loginAs(cn, devAccountOf('cn', base));

    // Assess
    expect(own.status).toBe(200);
    expect(own.body.success).toBe(true);
    expect(cn.upstreamUrl).not.toBe(eu.upstreamUrl);
    expect(cn.simulator?.logins).toHaveLength(1);
    expect(eu.simulator?.requests()).toBe(0);
  });

  it('fails when a login carries the other account’s gateway credentials: the gateway refuses it', async () => {
    // Prepare
    running = await startLocalAccounts(parseLocalAccounts('cn,eu') ?? [], { base });
    const [cn] = running.accounts as [LocalAccount];

    // Act
    const answer = await loginAs(cn, devAccountOf('eu', base));

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.gatewayError).toMatch(/^Invalid App(Code|Key)$/);
    expect(cn.simulator?.logins).toHaveLength(0);
  });

  it('fails when a login has the right gateway but the other account’s user and password', async () => {
    // Prepare
    running = await startLocalAccounts(parseLocalAccounts('cn,eu') ?? [], { base });
    const [cn] = running.accounts as [LocalAccount];
    const { userName, password } = devAccountOf('eu', base);

    // Act
    const answer = await loginAs(cn, { ...devAccountOf('cn', base), userName, password });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(false);
  });
});

describe('the dev secret of an account', () => {
  it('holds the account’s credentials and its simulator as upstreamUrl, and rotates with it', async () => {
    // Prepare
    const local = await startLocalAccounts(parseLocalAccounts('cn,eu') ?? [], {
      base: DEV_ACCOUNT,
    });
    running = local;
    const [cn, eu] = local.accounts as [LocalAccount, LocalAccount];
    const read = async (a: LocalAccount) =>
      JSON.parse(await local.secretSourceOf(a.secretId).read()) as Record<string, string>;

    // Act
    cn.rotatePassword('rotated-password');
    const cnSecret = await read(cn);
    const euSecret = await read(eu);
    const rotatedLogin = await loginAs(cn, {
      ...devAccountOf('cn', DEV_ACCOUNT),
      password: 'rotated-password',
    });

    // Assess
    expect(cnSecret).toEqual({
      ...devAccountOf('cn', DEV_ACCOUNT),
      password: 'rotated-password',
      upstreamUrl: cn.upstreamUrl,
    });
    expect(euSecret).toEqual({ ...devAccountOf('eu', DEV_ACCOUNT), upstreamUrl: eu.upstreamUrl });
    expect(rotatedLogin.body.success).toBe(true);
    expect(() => local.secretSourceOf('broker/elsewhere')).toThrow(
      /no local dev secret broker\/elsewhere/,
    );
  });
});

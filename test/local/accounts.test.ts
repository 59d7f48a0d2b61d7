/**
 * `npm start`'s multi-account mode end to end (issue 18): the real local
 * server with `LOCAL_ACCOUNTS=cn,eu`, one loopback simulator per account,
 * each refusing any login but its own account's. A request's devices are
 * split by account, each account logs in with its own credentials at its
 * own data centre, and one account's trouble stays that account's.
 */
import { describe, expect, it } from 'vitest';
import type { LocalAccount } from '../../functions/local/local-account-set.ts';
import { devAccountOf } from '../../functions/local/local-accounts.ts';
import { banner } from '../../functions/local/ready-line.ts';
import {
  DEV_ACCOUNT,
  DEV_SIGNATURE_ACCOUNT,
  type SimulatorLogin,
} from '../../functions/local/upstream-simulator.ts';
import { localServerPerTest } from '../support/local-server.ts';

interface Answer {
  readonly status: number;
  readonly tokens: { productKey: string; deviceName: string }[];
  readonly failures: { productKey: string; deviceName: string; code: string }[];
}

const startLocal = localServerPerTest();

/** Starts the local server with `env`; returns its accounts and a poster of device lists. */
async function start(env: Record<string, string>) {
  const { server: started, post: postRaw } = await startLocal({
    LOCAL_ACCOUNTS: 'cn,eu',
    UPSTREAM_MAX_RETRIES: '1',
    ...env,
  });
  const [cn, eu] = started.accounts?.accounts ?? [];
  if (cn === undefined || eu === undefined) throw new Error('no accounts started');
  const post = async (devices: object[]): Promise<Answer> => {
    const response = await postRaw(devices, AbortSignal.timeout(20_000));
    const body = (await response.json()) as Partial<Answer>;
    return { status: response.status, tokens: body.tokens ?? [], failures: body.failures ?? [] };
  };
  return { cn, eu, post, started };
}

const cam = (account: LocalAccount, deviceName: string) => ({
  productKey: account.productKey,
  deviceName,
});

const loginBody = (login: SimulatorLogin | undefined) =>
  JSON.parse(login?.body.toString('utf8') ?? '{}') as { userName?: string; password?: string };

describe('npm start with LOCAL_ACCOUNTS=cn,eu', () => {
  it('logs in once per account, each at its own simulator with its own signed credentials', async () => {
    // Prepare
    const { cn, eu, post, started } = await start({ SIMULATOR_GATEWAY_AUTH: 'signature' });

    // Act
    const answer = await post([cam(cn, 'a'), cam(eu, 'b'), cam(cn, 'c')]);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.failures).toEqual([]);
    expect(answer.tokens.map((t) => `${t.productKey}/${t.deviceName}`).sort()).toEqual([
      'pkCn/a',
      'pkCn/c',
      'pkEu/b',
    ]);
    expect(cn.simulator?.logins.map((l) => l.devices)).toEqual([['pkCn/a', 'pkCn/c']]);
    expect(eu.simulator?.logins.map((l) => l.devices)).toEqual([['pkEu/b']]);
    for (const [account, name] of [
      [cn, 'cn'],
      [eu, 'eu'],
    ] as const) {
      const own = devAccountOf(name, DEV_SIGNATURE_ACCOUNT);
      const login = account.simulator?.logins[0];
      expect(login?.headers['x-ca-key']).toBe(own.appKey);
      expect(loginBody(login).userName).toBe(own.userName);
    }
    expect(started.simulator?.requests()).toBe(0);
  });

  it.each([
    { how: 'stopped', codes: ['UPSTREAM_ERROR', 'UPSTREAM_UNAVAILABLE'] },
    { how: 'answering 503', codes: ['UPSTREAM_UNAVAILABLE', 'UPSTREAM_ERROR'] },
  ])(
    'fails when one account’s simulator is $how: only its devices, in failures[], with 200',
    async ({ how, codes }) => {
      // Prepare
      const { cn, eu, post } = await start({});
      if (how === 'stopped') await eu.simulator?.close();
      else eu.simulator?.setFault({ kind: 'status-503' });

      // Act
      const answer = await post([cam(cn, 'a'), cam(eu, 'b'), cam(eu, 'c')]);

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.tokens.map((t) => t.deviceName)).toEqual(['a']);
      expect(answer.failures.map((f) => f.deviceName).sort()).toEqual(['b', 'c']);
      for (const failure of answer.failures) expect(codes).toContain(failure.code);
      expect(cn.simulator?.logins).toHaveLength(1);
    },
  );

  it('fails when a product has no route: NO_ACCOUNT_ROUTE, and no simulator is called', async () => {
    // Prepare
    const { cn, eu, post, started } = await start({ ACCOUNT_ROUTES: 'pkCn=cn,pkEu=eu' });

    // Act
    const answer = await post([{ productKey: 'pkNowhere', deviceName: 'x' }]);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.tokens).toEqual([]);
    expect(answer.failures).toMatchObject([
      { productKey: 'pkNowhere', deviceName: 'x', code: 'NO_ACCOUNT_ROUTE' },
    ]);
    expect([cn, eu].map((a) => a.simulator?.requests())).toEqual([0, 0]);
    expect(started.simulator?.requests()).toBe(0);
  });

  it('rotates one account’s password, and the other account serves on untouched', async () => {
    // Prepare
    const { cn, eu, post } = await start({});
    await post([cam(cn, 'before'), cam(eu, 'before')]);
    const euReads = eu.secretReads();
    cn.rotatePassword('rotated-cn-password');

    // Act
    const answer = await post([cam(cn, 'after'), cam(eu, 'after')]);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.failures).toEqual([]);
    expect(answer.tokens).toHaveLength(2);
    expect(loginBody(cn.simulator?.logins.at(-1)).password).toBe('rotated-cn-password');
    expect(eu.secretReads()).toBe(euReads);
    expect(eu.simulator?.logins).toHaveLength(2);
    const euOwn = devAccountOf('eu', DEV_ACCOUNT);
    for (const login of eu.simulator?.logins ?? []) {
      expect(loginBody(login)).toMatchObject({ userName: euOwn.userName });
      expect(login.headers.authorization).toBe(`APPCODE ${euOwn.appCode}`);
    }
  });

  it('prints which product goes to which account, and a curl asking for a device of each', async () => {
    // Prepare
    const { cn, eu, started } = await start({});

    // Act
    const text = await banner(started);

    // Assess
    expect(text).toContain(`  accounts: cn       pkCn → simulator at ${cn.upstreamUrl}\n`);
    expect(text).toContain(`            eu       pkEu → simulator at ${eu.upstreamUrl}\n`);
    expect(text).toContain(
      `            default  every other product (*) → built-in simulator at ${started.simulator?.url}\n`,
    );
    expect(text).toContain('{"productKey":"pkCn","deviceName":"cam1"}');
    expect(text).toContain('{"productKey":"pkEu","deviceName":"cam1"}');
    expect(text).not.toMatch(/dev-password|dev-appcode/);
  });

  it('fails to start when UPSTREAM_ACCOUNTS is set too, naming both settings', async () => {
    // Act
    const attempt = start({ UPSTREAM_ACCOUNTS: 'cn=broker/cn' });

    // Assess
    await expect(attempt).rejects.toThrow(
      /LOCAL_ACCOUNTS and UPSTREAM_ACCOUNTS are both set: .* unset UPSTREAM_ACCOUNTS/,
    );
  });
});

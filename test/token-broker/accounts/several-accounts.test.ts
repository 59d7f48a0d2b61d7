/**
 * Several upstream accounts end to end, through the real runtime and real
 * login client, against one loopback simulator per account (issue 18).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CN, EU, startTwoAccounts, type TwoAccounts } from '../../support/two-accounts.ts';

let accounts: TwoAccounts | undefined;
afterEach(async () => {
  await accounts?.close();
  accounts = undefined;
});

const cam = (productKey: string, n: number) => ({ productKey, deviceName: `cam${n}` });
const names = (list: unknown) =>
  (list as { deviceName: string; productKey: string }[]).map(
    (d) => `${d.productKey}/${d.deviceName}`,
  );

describe('several upstream accounts', () => {
  it('logs in once per account, each with its own credentials at its own gateway', async () => {
    // Prepare
    accounts = await startTwoAccounts();
    const { cn, eu } = accounts;
    // Act
    const answer = await accounts.invoke([
      cam('pkCn', 1),
      cam('pkEu', 1),
      cam('pkCn', 2),
      cam('pkEu', 2),
    ]);
    // Assess: the simulators refuse any other account's credentials or signature.
    expect(names(answer.tokens)).toEqual(['pkCn/cam1', 'pkEu/cam1', 'pkCn/cam2', 'pkEu/cam2']);
    expect(answer.failures).toEqual([]);
    expect(cn.logins.map((l) => l.devices)).toEqual([['pkCn/cam1', 'pkCn/cam2']]);
    expect(eu.logins.map((l) => l.devices)).toEqual([['pkEu/cam1', 'pkEu/cam2']]);
    expect(JSON.parse(cn.logins[0]?.body.toString() ?? '{}').userName).toBe(CN.userName);
    expect(JSON.parse(eu.logins[0]?.body.toString() ?? '{}').userName).toBe(EU.userName);
    expect(eu.logins[0]?.headers['x-ca-key']).toBe(EU.appKey);
    expect(cn.logins[0]?.headers.authorization).toBe(`APPCODE ${CN.appCode}`);
    expect(accounts.secrets.unrouted.reads).toBe(0);
  });

  it('fails only the down account’s devices, and serves the others with 200', async () => {
    // Prepare
    accounts = await startTwoAccounts();
    accounts.eu.setFault({ kind: 'status-503' });
    // Act
    const answer = await accounts.invoke([cam('pkEu', 1), cam('pkCn', 1)]);
    // Assess
    expect(names(answer.tokens)).toEqual(['pkCn/cam1']);
    const failures = answer.failures as { code: string; message: string }[];
    expect(names(failures)).toEqual(['pkEu/cam1']);
    expect(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_ERROR']).toContain(failures[0]?.code);
    expect(failures[0]?.message).not.toMatch(/503|127\.0\.0\.1/);
    const warned = accounts.logger.lines.filter((l) => l.includes('an upstream account failed'));
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0] ?? '{}')).toMatchObject({ account: 'eu', devices: 1 });
  });

  it('fails the request as one account would when every account fails', async () => {
    // Prepare
    accounts = await startTwoAccounts();
    accounts.eu.setFault({ kind: 'status-503' });
    accounts.cn.setFault({ kind: 'status-503' });
    // Act
    const error = await accounts.invoke([cam('pkEu', 1), cam('pkCn', 1)]).catch((e: unknown) => e);
    // Assess
    expect((error as Error).message).toMatch(/^UPSTREAM_(ERROR|UNAVAILABLE): /);
  });

  it('answers NO_ACCOUNT_ROUTE for an unrouted product, with no upstream call', async () => {
    // Prepare
    accounts = await startTwoAccounts();
    // Act
    const answer = await accounts.invoke([cam('pkUs', 1), cam('pkCn', 1)]);
    const alone = await accounts.invoke([cam('pkUs', 2)]);
    // Assess
    expect(names(answer.tokens)).toEqual(['pkCn/cam1']);
    expect(answer.failures).toEqual([
      expect.objectContaining({ productKey: 'pkUs', deviceName: 'cam1', code: 'NO_ACCOUNT_ROUTE' }),
    ]);
    expect(alone).toEqual({
      tokens: [],
      failures: [expect.objectContaining({ deviceName: 'cam2', code: 'NO_ACCOUNT_ROUTE' })],
    });
    expect(accounts.eu.requests()).toBe(0);
    expect(accounts.cn.requests()).toBe(1);
  });

  it('sends a product without its own route to the * account', async () => {
    // Prepare
    accounts = await startTwoAccounts({ routes: 'pkCn=cn,*=eu' });
    // Act
    const answer = await accounts.invoke([cam('pkAny', 1)]);
    // Assess
    expect(names(answer.tokens)).toEqual(['pkAny/cam1']);
    expect(accounts.eu.logins.map((l) => l.devices)).toEqual([['pkAny/cam1']]);
    expect(accounts.cn.requests()).toBe(0);
  });

  it('rotates one account’s secret and leaves the other’s untouched', async () => {
    // Prepare
    accounts = await startTwoAccounts();
    await accounts.invoke([cam('pkCn', 1), cam('pkEu', 1)]);
    const euReads = accounts.secrets.eu.reads;
    const rotated = { ...CN, password: 'cn-password-rotated-22aa' };
    accounts.cn.setAccount(rotated);
    accounts.setSecret('cn', rotated);
    // Act
    const answer = await accounts.invoke([cam('pkCn', 2), cam('pkEu', 2), cam('pkEu', 1)]);
    // Assess
    expect(names(answer.tokens)).toEqual(['pkCn/cam2', 'pkEu/cam2', 'pkEu/cam1']);
    expect(accounts.secrets.eu.reads).toBe(euReads);
    expect(accounts.secrets.cn.reads).toBeGreaterThan(1);
    expect(accounts.eu.logins.map((l) => l.devices)).toEqual([['pkEu/cam1'], ['pkEu/cam2']]);
  });

  it('fails only its own devices when one account’s secret is unreadable', async () => {
    // Prepare
    accounts = await startTwoAccounts();
    accounts.setSecret('eu', { userName: '', password: '' } as never);
    // Act
    const answer = await accounts.invoke([cam('pkEu', 1), cam('pkCn', 1)]);
    // Assess
    expect(names(answer.tokens)).toEqual(['pkCn/cam1']);
    expect(answer.failures).toEqual([
      expect.objectContaining({
        deviceName: 'cam1',
        productKey: 'pkEu',
        code: 'CONFIGURATION_ERROR',
      }),
    ]);
    expect(accounts.eu.requests()).toBe(0);
  });

  it('never logs either account’s password, AppCode, AppSecret or a token', async () => {
    // Prepare
    accounts = await startTwoAccounts();
    accounts.eu.setFault({ kind: 'status-503' });
    // Act
    const answer = await accounts.invoke([cam('pkEu', 1), cam('pkCn', 1)]);
    // Assess
    const seen = `${accounts.logger.lines.join('\n')}\n${JSON.stringify(answer.failures)}`;
    for (const planted of [CN.password, CN.appCode, EU.password, EU.appSecret]) {
      expect(seen).not.toContain(planted);
    }
    expect(seen).not.toContain('eyJ');
  });

  it('answers NO_ACCOUNT_ROUTE with one routed account whose routes leave a product out', async () => {
    // Prepare
    accounts = await startTwoAccounts({ routes: 'pkCn=cn' });
    // Act
    const answer = await accounts.invoke([cam('pkCn', 1), cam('pkOther', 1)]);
    // Assess
    expect(names(answer.tokens)).toEqual(['pkCn/cam1']);
    expect(answer.failures).toEqual([
      expect.objectContaining({ productKey: 'pkOther', code: 'NO_ACCOUNT_ROUTE' }),
    ]);
    expect(accounts.cn.logins.map((l) => l.devices)).toEqual([['pkCn/cam1']]);
  });

  it('names the account of a secret that cannot be read, with several accounts only', async () => {
    // Prepare
    accounts = await startTwoAccounts();
    accounts.setSecret('eu', { userName: '', password: '' } as never);
    // Act
    await accounts.invoke([cam('pkEu', 1), cam('pkCn', 1)]);
    // Assess
    const lines = accounts.logger.lines.filter((l) => l.includes('Could not load'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.includes('the developer credentials of account eu'))).toBe(true);
  });
});

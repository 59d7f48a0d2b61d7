/**
 * A route change with the fleet store on (issue 18): a product moved to
 * another account is logged in again there, never served the old
 * account's stored token, through a real dynalite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ENV } from '../../../functions/token-broker/config.ts';
import { type Dynalite, startDynalite, TEST_TABLE } from '../../support/dynalite.ts';
import { fakeSecretSource } from '../../support/fakes.ts';
import { startTwoAccounts, type TwoAccounts } from '../../support/two-accounts.ts';

let engine: Dynalite | undefined;
let pairs: TwoAccounts[] = [];
afterEach(async () => {
  for (const pair of pairs.reverse()) await pair.close();
  await engine?.close();
  pairs = [];
  engine = undefined;
});

const STORE_ENV = { [ENV.tokenTable]: TEST_TABLE, [ENV.tokenStoreKeySecretId]: 'broker/store-key' };

describe('a product moved to another account', () => {
  it('is logged in at the new account, not served the old one’s stored token', async () => {
    // Prepare: a container routes pkMove to cn and stores its token.
    engine = await startDynalite();
    const store = (e: Dynalite) => ({
      tokenStore: { client: e.newClient(), keySource: fakeSecretSource('k'.repeat(43)) },
    });
    const before = await startTwoAccounts({
      routes: 'pkMove=cn,pkEu=eu',
      env: STORE_ENV,
      overrides: store(engine),
    });
    pairs.push(before);
    const first = await before.invoke([{ productKey: 'pkMove', deviceName: 'cam1' }]);
    // Act: the next cold start routes it to eu, over the same store.
    const after = await startTwoAccounts({
      routes: 'pkMove=eu',
      env: STORE_ENV,
      overrides: store(engine),
      simulators: { cn: before.cn, eu: before.eu },
    });
    pairs.push(after);
    const second = await after.invoke([{ productKey: 'pkMove', deviceName: 'cam1' }]);
    // Assess
    const token = (answer: Record<string, unknown>) =>
      (answer.tokens as { visualToken: string }[])[0]?.visualToken;
    expect(before.cn.logins.map((l) => l.devices)).toEqual([['pkMove/cam1']]);
    expect(before.eu.logins.map((l) => l.devices)).toEqual([['pkMove/cam1']]);
    expect(token(second)).toBeDefined();
    expect(token(second)).not.toBe(token(first));
    expect(before.eu.issued).toContain(token(second));
  });
});

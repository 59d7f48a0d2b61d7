/** Metrics with several accounts (issue 18): each account's under its `Account` dimension. */
import { afterEach, describe, expect, it } from 'vitest';
import { createEmfMetrics } from '../../../functions/token-broker/metrics.ts';
import { emfProblems } from '../../support/emf.ts';
import { startTwoAccounts, type TwoAccounts } from '../../support/two-accounts.ts';

let accounts: TwoAccounts | undefined;
afterEach(async () => {
  await accounts?.close();
  accounts = undefined;
});

type Line = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};

describe('metrics of several accounts', () => {
  it('publishes each account’s logins and circuit under its name as well as the function’s', async () => {
    // Prepare
    const lines: string[] = [];
    const metrics = createEmfMetrics({ write: (line) => lines.push(line) });
    accounts = await startTwoAccounts({ metrics });
    accounts.eu.setFault({ kind: 'status-503' });
    // Act
    await accounts.invoke([
      { productKey: 'pkCn', deviceName: 'cam1' },
      { productKey: 'pkEu', deviceName: 'cam1' },
    ]);
    // Assess
    const parsed = lines.map((l) => JSON.parse(l) as Line);
    const ofAccount = (name: string) => parsed.find((l) => l.Account === name);
    expect(lines.flatMap(emfProblems)).toEqual([]);
    expect(ofAccount('cn')?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([
      ['FunctionName'],
      ['FunctionName', 'Account'],
    ]);
    expect(ofAccount('cn')).toMatchObject({
      UpstreamLogins: 1,
      CircuitBreakerOpen: 0,
      TokensIssued: 1,
    });
    expect(ofAccount('eu')).toMatchObject({ UpstreamLogins: 1 });
    expect(ofAccount('eu')?.TokensIssued).toBeUndefined();
    expect(parsed.filter((l) => l.Account !== undefined)).toHaveLength(2);
  });
});

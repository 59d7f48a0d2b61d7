/** The account router alone, over fake brokers: how it splits and joins (issue 18). */
import { describe, expect, it } from 'vitest';
import {
  createAccountRouter,
  type RoutedAccount,
} from '../../../functions/token-broker/account-router.ts';
import type { Broker } from '../../../functions/token-broker/broker.ts';
import type { DeviceKey, TokenResult } from '../../../functions/token-broker/contract.ts';
import {
  ForbiddenDeviceError,
  UpstreamUnavailableError,
} from '../../../functions/token-broker/errors.ts';
import { captureLogger } from '../../support/fakes.ts';

const dev = (productKey: string, deviceName: string): DeviceKey => ({ productKey, deviceName });

/** A broker that serves every device it is asked for, recording each ask. */
function servingBroker(asks: DeviceKey[][]): Broker {
  return {
    async getTokens(devices) {
      asks.push([...devices]);
      const tokens = devices.map((d) => ({
        ...d,
        visualToken: `t-${d.deviceName}`,
        expiresAt: 'x',
        expiresIn: 1,
      }));
      return { tokens, failures: [] } satisfies TokenResult;
    },
  };
}

const failing = (error: unknown): Broker => ({ getTokens: () => Promise.reject(error) });

function router(accounts: Record<string, Broker>, routes: Record<string, string>) {
  const warmed: string[] = [];
  const map = new Map<string, RoutedAccount>(
    Object.entries(accounts).map(([name, broker]) => [
      name,
      { broker, warm: async () => void warmed.push(name) },
    ]),
  );
  return {
    warmed,
    broker: createAccountRouter({ accounts: map, routes, logger: captureLogger() }),
  };
}

describe('account router', () => {
  it('asks each account for its own devices only, and answers in the order asked', async () => {
    // Prepare
    const a: DeviceKey[][] = [];
    const b: DeviceKey[][] = [];
    const { broker, warmed } = router(
      { a: servingBroker(a), b: servingBroker(b) },
      { pkA: 'a', '*': 'b' },
    );
    // Act
    const answer = await broker.getTokens([dev('pkB', '1'), dev('pkA', '2'), dev('pkC', '3')]);
    // Assess
    expect(answer.tokens.map((t) => t.deviceName)).toEqual(['1', '2', '3']);
    expect(a).toEqual([[dev('pkA', '2')]]);
    expect(b).toEqual([[dev('pkB', '1'), dev('pkC', '3')]]);
    expect(warmed).toEqual(['a', 'b']);
  });

  it('warms every account on the first request only, even one not asked for', async () => {
    // Prepare
    const { broker, warmed } = router(
      { a: servingBroker([]), b: servingBroker([]) },
      { pkA: 'a', pkB: 'b' },
    );
    // Act
    await broker.getTokens([dev('pkA', '1')]);
    await broker.getTokens([dev('pkA', '2')]);
    // Assess
    expect(warmed).toEqual(['a', 'b']);
  });

  it('fails when the caller is refused, even for unrouted devices only', async () => {
    // Prepare
    const { broker } = router({ a: servingBroker([]) }, { pkA: 'a' });
    const refused = new ForbiddenDeviceError([dev('pkZ', '1')]);
    // Act
    const answer = broker.getTokens([dev('pkZ', '1')], { authorized: Promise.reject(refused) });
    // Assess
    await expect(answer).rejects.toBe(refused);
  });

  it('fails when the caller is refused, even while an account fails', async () => {
    // Prepare
    const down = new UpstreamUnavailableError('down', 1000);
    const { broker } = router({ a: failing(down), b: servingBroker([]) }, { pkA: 'a', pkB: 'b' });
    const refused = new ForbiddenDeviceError([dev('pkB', '1')]);
    const authorized = Promise.reject(refused);
    authorized.catch(() => {});
    // Act
    const answer = broker.getTokens([dev('pkA', '1'), dev('pkB', '1')], { authorized });
    // Assess
    await expect(answer).rejects.toBe(refused);
  });

  it('fails when an account fails with an error that is no account problem', async () => {
    // Prepare
    const bug = new TypeError('a bug');
    const { broker } = router({ a: failing(bug), b: servingBroker([]) }, { pkA: 'a', pkB: 'b' });
    // Act
    const answer = broker.getTokens([dev('pkA', '1'), dev('pkB', '1')]);
    // Assess
    await expect(answer).rejects.toBe(bug);
  });

  it('reports a failed account’s devices with its code and public detail', async () => {
    // Prepare
    const down = new UpstreamUnavailableError('circuit open at 10.0.0.1', 1000);
    const { broker } = router({ a: failing(down), b: servingBroker([]) }, { pkA: 'a', pkB: 'b' });
    // Act
    const answer = await broker.getTokens([dev('pkA', '1'), dev('pkB', '2'), dev('pkA', '3')]);
    // Assess
    expect(answer.tokens.map((t) => t.deviceName)).toEqual(['2']);
    expect(answer.failures.map((f) => [f.deviceName, f.code])).toEqual([
      ['1', 'UPSTREAM_UNAVAILABLE'],
      ['3', 'UPSTREAM_UNAVAILABLE'],
    ]);
    expect(answer.failures[0]?.message).not.toContain('10.0.0.1');
  });

  it('fails with the first account’s failure by name when every account fails, whatever the order asked', async () => {
    // Prepare
    const down = new UpstreamUnavailableError('down', 1000);
    const bug = new TypeError('b fails otherwise');
    const { broker } = router({ a: failing(down), b: failing(bug) }, { pkA: 'a', pkB: 'b' });
    // Act
    const answers = await Promise.all([
      broker.getTokens([dev('pkA', '1'), dev('pkB', '1')]).catch((e: unknown) => e),
      broker.getTokens([dev('pkB', '1'), dev('pkA', '1')]).catch((e: unknown) => e),
    ]);
    // Assess
    expect(answers).toEqual([down, down]);
  });
});

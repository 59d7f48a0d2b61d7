/**
 * Refresh without a token store: the same rule as the fleet's, within the
 * process. L1 remembers when a refresh login happened; refreshes of a device
 * share one login; a token from an ordinary miss does not count.
 */
import { describe, expect, it } from 'vitest';
import { createTokenCache } from '../../functions/token-broker/token-cache.ts';
import { brokerFor } from '../support/broker.ts';
import { fakeCredentials, fakeLoginClient } from '../support/fakes.ts';

const T0 = Date.UTC(2026, 10, 21, 12);
const cam = { productKey: 'pk1', deviceName: 'cam1' };

const setup = () => {
  const clock = { now: T0 };
  const upstream = fakeLoginClient({ now: () => clock.now });
  const broker = brokerFor({
    credentials: fakeCredentials(),
    upstream,
    cache: createTokenCache(100),
    now: () => clock.now,
    minTokenValiditySeconds: 300,
    upstreamBatchSize: 20,
    refreshIntervalSeconds: 30,
  });
  const token = async (refresh = false) =>
    (await broker.getTokens([cam], { refresh })).tokens[0]?.visualToken;
  return { broker, upstream, clock, token };
};

describe('broker refresh without a store', () => {
  it('logs in again on a refresh right after an ordinary miss, and serves the new token after', async () => {
    // Prepare
    const { upstream, clock, token } = setup();
    const plain = await token();
    clock.now += 1000;

    // Act
    const refreshed = await token(true);
    const after = await token();

    // Assess
    expect(upstream.calls).toHaveLength(2);
    expect(refreshed).not.toBe(plain);
    expect(after).toBe(refreshed);
  });

  it('serves a refresh within the interval from the last refresh, with no login', async () => {
    // Prepare
    const { upstream, clock, token } = setup();
    const first = await token(true);
    clock.now += 29_000;

    // Act
    const second = await token(true);

    // Assess
    expect(upstream.calls).toHaveLength(1);
    expect(second).toBe(first);
  });

  it('logs in again for a refresh past the interval', async () => {
    // Prepare
    const { upstream, clock, token } = setup();
    await token(true);
    clock.now += 31_000;

    // Act
    await token(true);

    // Assess
    expect(upstream.calls).toHaveLength(2);
  });

  it('shares one login among concurrent refreshes of a device', async () => {
    // Prepare
    const { upstream, token } = setup();

    // Act
    const tokens = await Promise.all(Array.from({ length: 10 }, () => token(true)));

    // Assess
    expect(upstream.calls).toHaveLength(1);
    expect(new Set(tokens).size).toBe(1);
  });
});

/**
 * Renewal before expiry: with `renewBeforeSeconds`, a call near a held
 * token's end gets it at once and renews it in the background; with
 * `onRenewed` too, the client renews held tokens by itself and hands the new
 * ones over. Fake timers drive the clock; the broker is a scripted fetch.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BrowserTokenClient,
  type BrowserTokenClientOptions,
  type TokenResult,
} from '../../clients/browser-client.ts';
import { type Answer, problemResponse, scriptedFetch, tokensResponse } from './browser-fakes.ts';

const A = { productKey: 'pkA', deviceName: 'cam-1' };

/** Each answer's tokens are tagged with the answer's index, so old and new differ. */
const issuing =
  (expiresIn = 3600): Answer =>
  (devices, index) =>
    tokensResponse(devices, expiresIn, `t${index}`);

const clientOf = (doFetch: typeof fetch, options: Partial<BrowserTokenClientOptions> = {}) =>
  new BrowserTokenClient({
    baseUrl: 'http://broker.test',
    getBearerToken: () => 'jwt',
    fetch: doFetch,
    renewBeforeSeconds: 600,
    ...options,
  });

const seconds = (n: number) => vi.advanceTimersByTimeAsync(n * 1000);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('BrowserTokenClient renewal in getTokens', () => {
  it('answers near a token’s end with the held token at once, and renews it in the background', async () => {
    // Prepare
    const broker = scriptedFetch(issuing());
    const client = clientOf(broker.fetch);
    const first = client.getTokens([A]);
    await seconds(0);
    await first;
    await seconds(3600 - 599);
    // Act
    const near = await client.getTokens([A]);
    await seconds(0);
    const after = await client.getTokens([A]);
    // Assess
    expect(near.tokens[0]?.visualToken).toBe('eyJ.t0.cam-1');
    expect(near.tokens[0]?.expiresIn).toBe(599);
    expect(after.tokens[0]?.visualToken).toBe('eyJ.t1.cam-1');
    expect(broker.requests).toHaveLength(2);
  });

  it('does not renew a token that has more than renewBeforeSeconds left', async () => {
    // Prepare
    const broker = scriptedFetch(issuing());
    const client = clientOf(broker.fetch);
    const first = client.getTokens([A]);
    await seconds(0);
    await first;
    await seconds(3600 - 601);
    // Act
    await client.getTokens([A]);
    await seconds(0);
    // Assess
    expect(broker.requests).toHaveLength(1);
  });

  it('fails when renewBeforeSeconds is not above minValiditySeconds, naming it', () => {
    // Act
    const act = () => clientOf(scriptedFetch(issuing()).fetch, { renewBeforeSeconds: 300 });
    // Assess
    expect(act).toThrow(/renewBeforeSeconds: must be more than minValiditySeconds/);
  });
});

describe('BrowserTokenClient renewal with onRenewed', () => {
  it('renews a held token renewBeforeSeconds before its end, by itself, and hands over the new one', async () => {
    // Prepare
    const renewed: TokenResult[] = [];
    const broker = scriptedFetch(issuing());
    const client = clientOf(broker.fetch, { onRenewed: (r) => renewed.push(r) });
    const first = client.getTokens([A]);
    await seconds(0);
    await first;
    // Act
    await seconds(3600 - 601);
    const before = broker.requests.length;
    await seconds(2);
    // Assess
    expect(before).toBe(1);
    expect(broker.requests).toHaveLength(2);
    expect(renewed).toEqual([
      {
        tokens: [expect.objectContaining({ ...A, visualToken: 'eyJ.t1.cam-1', expiresIn: 3600 })],
        failures: [],
      },
    ]);
  });

  it('keeps renewing while held: one renewal per token life', async () => {
    // Prepare
    const broker = scriptedFetch(issuing());
    const client = clientOf(broker.fetch, { onRenewed: () => {} });
    const first = client.getTokens([A]);
    await seconds(0);
    await first;
    // Act
    await seconds(3 * 3000 + 1);
    // Assess
    expect(broker.requests).toHaveLength(4);
  });

  it('renews a short-lived token halfway through its life, not in a loop', async () => {
    // Prepare
    const broker = scriptedFetch(issuing(400));
    const client = clientOf(broker.fetch, {
      onRenewed: () => {},
      minValiditySeconds: 30,
      renewBeforeSeconds: 600,
    });
    const first = client.getTokens([A]);
    await seconds(0);
    await first;
    // Act
    await seconds(199);
    const early = broker.requests.length;
    await seconds(2);
    // Assess
    expect(early).toBe(1);
    expect(broker.requests).toHaveLength(2);
  });

  it('fails a renewal to onRenewalError once, and keeps serving the held token', async () => {
    // Prepare
    const errors: unknown[] = [];
    const broker = scriptedFetch(issuing(), () =>
      problemResponse(502, { code: 'UPSTREAM_ERROR', detail: 'no' }),
    );
    const client = clientOf(broker.fetch, {
      onRenewed: () => {},
      onRenewalError: (error, devices) => errors.push({ error, devices }),
    });
    const first = client.getTokens([A]);
    await seconds(0);
    await first;
    // Act
    await seconds(3600 - 400);
    const held = await client.getTokens([A]);
    // Assess
    expect(broker.requests).toHaveLength(2);
    expect(errors).toEqual([
      { error: expect.objectContaining({ code: 'UPSTREAM_ERROR' }), devices: [A] },
    ]);
    expect(held.tokens[0]?.visualToken).toBe('eyJ.t0.cam-1');
  });

  it('stops renewing after clear()', async () => {
    // Prepare
    const broker = scriptedFetch(issuing());
    const client = clientOf(broker.fetch, { onRenewed: () => {} });
    const first = client.getTokens([A]);
    await seconds(0);
    await first;
    // Act
    client.clear();
    await seconds(3600);
    // Assess
    expect(broker.requests).toHaveLength(1);
  });
});

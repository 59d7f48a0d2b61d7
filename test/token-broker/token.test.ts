import { describe, expect, it } from 'vitest';
import { canServe, expiryText, serveRule } from '../../functions/token-broker/token.ts';
import { fakeVisualToken } from '../support/fakes.ts';

const T0 = Date.UTC(2026, 11, 3, 12);
const device = { productKey: 'pk', deviceName: 'cam1' };

describe('canServe: the one rule of L1, L2 and the answer', () => {
  it('serves a token only while it has at least the minimum validity left', () => {
    // Prepare
    const token = { visualToken: 'opaque-token', expiresAt: T0 + 10_000 };
    // Act
    const fresh = canServe(token, { now: T0 + 4_000, minValidityMs: 6_000 });
    const stale = canServe(token, { now: T0 + 4_001, minValidityMs: 6_000 });
    // Assess
    expect(fresh).toBe(true);
    expect(stale).toBe(false);
  });

  it('fails when the token is expired, malformed or lives more than 30 days', () => {
    // Prepare
    const rule = { now: T0, minValidityMs: 0 };
    // Act
    const verdicts = [
      canServe({ visualToken: 'x', expiresAt: T0 }, rule),
      canServe({ visualToken: 'with space', expiresAt: T0 + 1000 }, rule),
      canServe({ visualToken: 'x', expiresAt: Number.NaN }, rule),
      canServe({ visualToken: 'x', expiresAt: T0 + 31 * 86_400_000 }, rule),
      canServe(undefined, rule),
    ];
    // Assess
    expect(verdicts).toEqual([false, false, false, false, false]);
  });

  it('serves a refresh only a token from a refresh login within the interval', () => {
    // Prepare
    const rule = serveRule(T0, 0, true, 30_000);
    const plain = { visualToken: 'x', expiresAt: T0 + 60_000 };
    // Act
    const verdicts = [
      canServe(plain, rule),
      canServe({ ...plain, refreshedAt: T0 - 30_001 }, rule),
      canServe({ ...plain, refreshedAt: T0 - 30_000 }, rule),
      canServe(plain, serveRule(T0, 0, false, 30_000)),
    ];
    // Assess
    expect(verdicts).toEqual([false, false, true, true]);
  });

  it('fails when a token from outside the process names another device', () => {
    // Prepare
    const other = fakeVisualToken({ productKey: 'pk', deviceName: 'cam2' }, (T0 + 3600_000) / 1000);
    const token = { visualToken: other, expiresAt: T0 + 3600_000 };
    // Act
    const forOther = canServe(token, { now: T0, minValidityMs: 0 }, device);
    const unchecked = canServe(token, { now: T0, minValidityMs: 0 });
    // Assess
    expect(forOther).toBe(false);
    expect(unchecked).toBe(true);
  });
});

describe('expiryText', () => {
  it('gives each held token its own expiry, and the same text when asked again', () => {
    // Prepare
    const first = { visualToken: 'a', expiresAt: 0 };
    const second = { visualToken: 'a', expiresAt: Date.UTC(2026, 11, 4, 5, 6, 7, 8) };
    // Act
    const texts = [expiryText(first), expiryText(second), expiryText(first)];
    // Assess
    expect(texts).toEqual([
      '1970-01-01T00:00:00.000Z',
      '2026-12-04T05:06:07.008Z',
      '1970-01-01T00:00:00.000Z',
    ]);
  });
});

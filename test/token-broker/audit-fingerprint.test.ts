/** The audit fingerprint (issue 17), remembered per key so that L1 hits do not pay an HMAC each. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../functions/token-broker/audit.ts';

const expected = (key: Buffer, token: string) =>
  createHmac('sha256', key).update(token).digest('base64url').slice(0, 16);

describe('fingerprintOf', () => {
  it('gives the HMAC-SHA256 fingerprint, the same when asked again, and another under another key', () => {
    // Prepare
    const [a, b] = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
    // Act
    const first = fingerprintOf(a, 'token-1');
    const again = fingerprintOf(a, 'token-1');
    const other = fingerprintOf(b, 'token-1');
    // Assess
    expect(first).toBe(expected(a, 'token-1'));
    expect(again).toBe(first);
    expect(other).toBe(expected(b, 'token-1'));
    expect(other).not.toBe(first);
  });

  it('stays right past the number of fingerprints it remembers', () => {
    // Prepare
    const key = Buffer.alloc(32, 3);
    const tokens = Array.from({ length: 10_050 }, (_, i) => `token-${i}`);
    // Act
    const all = tokens.map((t) => fingerprintOf(key, t));
    // Assess
    expect(all[10_049]).toBe(expected(key, 'token-10049'));
    expect(fingerprintOf(key, 'token-0')).toBe(expected(key, 'token-0'));
    expect(new Set(all).size).toBe(tokens.length);
  });
});

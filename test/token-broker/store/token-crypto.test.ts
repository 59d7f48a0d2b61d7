import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_KEY_LENGTH,
  accountKey,
  deriveStoreKeys,
  seal,
  unseal,
} from '../../../functions/token-broker/store/token-crypto.ts';
import { plantedCredentials } from '../../support/fakes.ts';

const SECRET = 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4Y5z6A7b8C9d0E1f2';
const keys = deriveStoreKeys(SECRET);

describe('deriveStoreKeys', () => {
  it('derives two distinct 256-bit subkeys, the same for the same secret', () => {
    // Act
    const again = deriveStoreKeys(SECRET);
    // Assess
    expect(keys.encryptionKey).toHaveLength(32);
    expect(keys.hashKey).toHaveLength(32);
    expect(keys.encryptionKey.equals(keys.hashKey)).toBe(false);
    expect(again.encryptionKey.equals(keys.encryptionKey)).toBe(true);
  });

  it('fails when the secret is shorter than 32 characters, naming the setting and not the value', () => {
    // Prepare
    const short = 'short-secret-value-1234567890ab';
    // Act
    const error = (() => {
      try {
        deriveStoreKeys(short);
      } catch (e) {
        return e;
      }
    })();
    // Assess
    expect(error).toMatchObject({ name: 'ConfigurationError', code: 'CONFIGURATION_ERROR' });
    expect((error as Error).message).toContain('TOKEN_STORE_KEY_SECRET_ID');
    expect((error as Error).message).not.toContain(short);
  });
});

describe('seal and unseal', () => {
  it('round-trips under the same key and data', () => {
    // Act
    const sealed = seal(keys.encryptionKey, 'a.b.c', 't#acct#p/d');
    // Assess
    expect(unseal(keys.encryptionKey, sealed, 't#acct#p/d')).toBe('a.b.c');
  });

  it.each([
    ['other authenticated data', (s: Uint8Array) => s, 't#acct#p/other', keys.encryptionKey],
    [
      'an altered byte',
      (s: Uint8Array) => Uint8Array.from(s, (b, i) => (i === 20 ? b ^ 1 : b)),
      't#acct#p/d',
      keys.encryptionKey,
    ],
    ['a truncated blob', (s: Uint8Array) => s.subarray(0, 20), 't#acct#p/d', keys.encryptionKey],
    [
      'another key',
      (s: Uint8Array) => s,
      't#acct#p/d',
      deriveStoreKeys(`${SECRET}x`).encryptionKey,
    ],
  ])(
    'fails when opened with %s, returning undefined without throwing',
    (_what, alter, aad, key) => {
      // Prepare
      const sealed = alter(seal(keys.encryptionKey, 'a.b.c', 't#acct#p/d'));
      // Act
      const opened = unseal(key, sealed, aad);
      // Assess
      expect(opened).toBeUndefined();
    },
  );
});

describe('accountKey', () => {
  it('is a short keyed hash that holds no user name and changes with the account', () => {
    // Act
    const key = accountKey(keys.hashKey, plantedCredentials);
    const otherUser = accountKey(keys.hashKey, { ...plantedCredentials, userName: 'someone-else' });
    const otherGateway = accountKey(keys.hashKey, {
      ...plantedCredentials,
      gateway: { mode: 'none' },
    });
    // Assess
    expect(key).toMatch(new RegExp(`^[A-Za-z0-9_-]{${ACCOUNT_KEY_LENGTH}}$`));
    expect(key).not.toContain(plantedCredentials.userName);
    expect(new Set([key, otherUser, otherGateway]).size).toBe(3);
    expect(accountKey(keys.hashKey, plantedCredentials)).toBe(key);
  });
});

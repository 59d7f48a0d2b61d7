import { describe, expect, it } from 'vitest';
import type { Credentials } from '../../../functions/token-broker/credentials.ts';
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

  it('derives the subkeys every earlier release derived, so a deploy does not orphan stored tokens', () => {
    // Assess: pinned from this release; only a rotation of the secret may change them.
    expect(keys.encryptionKey.toString('hex')).toBe(
      'dac490eb058a7b0e635530d21bd36c426bf3d56235fcb93f222b531aee2c9d74',
    );
    expect(keys.hashKey.toString('hex')).toBe(
      'c50dfcf9309603cf383413a94b8e389ab19f1cb4dc484fbf83e18118091b70cc',
    );
  });

  it('accepts a secret of exactly 32 characters', () => {
    // Act
    const derived = deriveStoreKeys('x'.repeat(32));
    // Assess
    expect(derived.encryptionKey).toHaveLength(32);
  });

  it.each([
    ['missing', undefined],
    ['a number', 42],
  ])('fails when the secret is %s, with a ConfigurationError', (_what, secret) => {
    // Act
    const act = () => deriveStoreKeys(secret as unknown as string);
    // Assess
    expect(act).toThrow(expect.objectContaining({ code: 'CONFIGURATION_ERROR' }));
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

  it('round-trips an empty token, the shortest blob there is', () => {
    // Act
    const sealed = seal(keys.encryptionKey, '', 'aad');
    // Assess
    expect(sealed).toHaveLength(1 + 12 + 16);
    expect(unseal(keys.encryptionKey, sealed, 'aad')).toBe('');
  });

  it('fails when the format version byte is not 1, though the rest would open', () => {
    // Prepare: the version byte is not authenticated, so only the check refuses it.
    const sealed = Uint8Array.from(seal(keys.encryptionKey, 'a.b.c', 'aad'));
    sealed[0] = 2;
    // Act
    const opened = unseal(keys.encryptionKey, sealed, 'aad');
    // Assess
    expect(opened).toBeUndefined();
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

  it('tells accounts apart by AppCode, by AppKey and by gateway mode', () => {
    // Prepare
    const account = (gateway: Credentials['gateway']) =>
      accountKey(keys.hashKey, { userName: 'u', password: 'p', gateway });
    // Act
    const actual = [
      account({ mode: 'appCode', appCode: 'code-1' }),
      account({ mode: 'appCode', appCode: 'code-2' }),
      account({ mode: 'signature', appKey: 'code-1', appSecret: 's' }),
      account({ mode: 'signature', appKey: 'code-2', appSecret: 's' }),
      account({ mode: 'none' }),
    ];
    // Assess
    expect(new Set(actual).size).toBe(5);
    expect(account({ mode: 'signature', appKey: 'code-1', appSecret: 'other' })).toBe(actual[2]);
  });

  it.each([
    ['none', { mode: 'none' }, 'khGUpgpes0v33-HIbGrElM'],
    ['appCode', { mode: 'appCode', appCode: 'code-1' }, '9fOTvspR3hk0fZD-nkCy85'],
    ['signature', { mode: 'signature', appKey: 'key-1', appSecret: 's' }, 'cpbeylBcTsis-6rbutJLQa'],
  ] as const)('keys a %s account as every earlier release did', (_mode, gateway, expected) => {
    // Act: pinned, since a new key for the same account makes every stored token a miss.
    const key = accountKey(keys.hashKey, { userName: 'user@example.com', password: 'p', gateway });
    // Assess
    expect(key).toBe(expected);
  });
});

/**
 * Encryption at rest of the token store, with node:crypto only.
 *
 * One secret string (the `TOKEN_STORE_KEY_SECRET_ID` secret, or the local
 * `.dev/token-store-key`) yields two independent subkeys by HKDF-SHA256: one
 * for AES-256-GCM, one for the keyed account hash. Rotating the secret
 * changes both, so older items are neither found nor readable: they are
 * misses, and nothing fails.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Credentials } from '../credentials.ts';
import { ConfigurationError } from '../errors.ts';
import { SETTINGS } from '../settings.ts';
import { identityOf } from '../upstream/upstream-account.ts';

/** The setting the key secret is named by, for error messages. */
export const STORE_KEY_SETTING = SETTINGS.tokenStoreKeySecretId.env;

/** The shortest secret string accepted (characters). */
export const MIN_STORE_SECRET_LENGTH = 32;

/** Length of {@link accountKey}'s output, in base64url characters (132 bits). */
export const ACCOUNT_KEY_LENGTH = 22;

/** The subkeys derived from the store secret. Never log them. */
export interface StoreKeys {
  /** AES-256-GCM key. */
  readonly encryptionKey: Buffer;
  /** HMAC-SHA256 key of the account hash. */
  readonly hashKey: Buffer;
}

const SALT = 'visual-token-broker/token-store/v1';
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Derives the subkeys from the secret string.
 * @throws ConfigurationError when the string is shorter than {@link MIN_STORE_SECRET_LENGTH}.
 */
export function deriveStoreKeys(secret: string): StoreKeys {
  if (typeof secret !== 'string' || secret.length < MIN_STORE_SECRET_LENGTH) {
    throw new ConfigurationError(
      `${STORE_KEY_SETTING}: the store key secret must be at least ${MIN_STORE_SECRET_LENGTH} characters`,
    );
  }
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, SALT, info, 32));
  return { encryptionKey: derive('aes-256-gcm'), hashKey: derive('account-hash') };
}

/**
 * The account part of every item key: HMAC-SHA256 over the user name and the
 * gateway identity, so the table never holds the user name and a change of
 * account in the secret never finds the previous account's tokens.
 */
export function accountKey(hashKey: Buffer, credentials: Credentials): string {
  return keyedId(hashKey, identityOf(credentials).identity);
}

/**
 * A keyed hash of `text` ({@link ACCOUNT_KEY_LENGTH} characters): what the
 * table holds instead of an account identity or a caller's name.
 */
export function keyedId(hashKey: Buffer, text: string): string {
  return createHmac('sha256', hashKey)
    .update(text)
    .digest('base64url')
    .slice(0, ACCOUNT_KEY_LENGTH);
}

/**
 * Encrypts `plaintext` with a fresh random 96-bit IV. `aad` (the item's key
 * and plain attributes) is authenticated, not stored: the ciphertext opens
 * only under the same `aad`. Layout: version (1) | IV (12) | ciphertext | tag (16).
 */
export function seal(key: Buffer, plaintext: string, aad: string): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  // Stryker disable next-line ObjectLiteral: GCM's default tag length is TAG_BYTES (16).
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  // Stryker disable next-line StringLiteral: Buffer.from reads encoding '' as UTF-8: same bytes.
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  // Stryker disable next-line StringLiteral: cipher.update reads encoding '' as UTF-8 too.
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_VERSION), iv, body, cipher.getAuthTag()]);
}

/**
 * Decrypts what {@link seal} wrote. Any failure (wrong key, other item,
 * altered byte or attribute, unknown format) yields `undefined`: an
 * unreadable item is a miss, never an exception, and nothing is logged.
 */
export function unseal(key: Buffer, sealed: Uint8Array, aad: string): string | undefined {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_VERSION) return undefined;
  try {
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    // Stryker disable next-line ObjectLiteral: `tag` is always 16 bytes, GCM's default.
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    // Stryker disable next-line StringLiteral: Buffer.from reads encoding '' as UTF-8: same bytes.
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    const body = sealed.subarray(1 + IV_BYTES, sealed.length - TAG_BYTES);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch /* Stryker disable next-line BlockStatement: falling off returns undefined too */ {
    return undefined;
  }
}

/**
 * The local store key: one random key per checkout, in the git-ignored
 * `.dev/`, shared by every local process (`npm start`, `npm run fleet`).
 * Deployed functions read theirs from Secrets Manager instead.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigurationError } from '../errors.ts';
import { MIN_STORE_SECRET_LENGTH } from './token-crypto.ts';

/** Where the local key lives, relative to the project root. */
export const DEV_STORE_KEY_PATH = '.dev/token-store-key';

const code = (error: unknown) => (error as { code?: unknown } | null)?.code;

/**
 * Reads the key file, creating it first (32 random bytes, base64url, mode
 * 0600) when missing. Processes starting at once agree on one key: each
 * writes its own temporary file and hard-links it into place, which fails
 * with EEXIST for all but the first; the losers read the winner's key.
 * @throws ConfigurationError when the file holds something too short to be a key.
 */
export async function loadOrCreateDevStoreKey(file: string): Promise<string> {
  const read = async () => (await readFile(file, 'utf8')).trim();
  let key: string;
  try {
    key = await read();
  } catch (error) {
    if (code(error) !== 'ENOENT') throw error;
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    try {
      await link(temp, file);
    } catch (linkError) {
      if (code(linkError) !== 'EEXIST') throw linkError;
    } finally {
      await unlink(temp);
    }
    key = await read();
  }
  if (key.length < MIN_STORE_SECRET_LENGTH) {
    throw new ConfigurationError(
      `${file}: the local store key must be at least ${MIN_STORE_SECRET_LENGTH} characters; delete the file to get a new one`,
    );
  }
  return key;
}

/**
 * `npm run --silent fingerprint -- --store-key-file key.txt` (with the token
 * store, the default) or `-- --secret-file creds.json` (without it): the
 * audit fingerprint of the visualToken read from stdin, under the key the
 * function derives from that secret (its SecretString, e.g. from
 * `aws secretsmanager get-secret-value --query SecretString --output text`).
 * An operator matches it against the audit line's `fingerprints` to find
 * the request that issued a leaked token (docs/operations.md#audit-trail).
 * The token is read from stdin, not the command line, to keep it out of
 * the shell's history and the process list.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { auditKeyOf, auditKeyOfStore, fingerprintOf } from '../functions/token-broker/audit.ts';
import { parseCredentials } from '../functions/token-broker/credentials.ts';
import { deriveStoreKeys } from '../functions/token-broker/store/token-crypto.ts';

const USAGE = `usage: printf '%s' "$VISUAL_TOKEN" | npm run --silent fingerprint -- --store-key-file <key.txt>
       printf '%s' "$VISUAL_TOKEN" | npm run --silent fingerprint -- --secret-file <secret.json>

Prints the audit-line fingerprint of the token on stdin. With the token store on
(the default), the key comes from the store key secret (<key.txt>: its string);
without it, from the credentials secret (<secret.json>: userName, password,
appCode or appKey/appSecret). Use the version that was current when the token was issued.`;

/** Runs the command; returns the exit code. */
export async function main(
  argv: readonly string[],
  stdin: AsyncIterable<Buffer | string>,
): Promise<number> {
  let file: string | undefined;
  let fromStore = false;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        'secret-file': { type: 'string' },
        'store-key-file': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
    if (values.help === true) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    file = values['store-key-file'] ?? values['secret-file'];
    fromStore = values['store-key-file'] !== undefined;
  } catch (error) {
    process.stderr.write(`fingerprint: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (file === undefined) {
    process.stderr.write(`fingerprint: --store-key-file or --secret-file is required\n${USAGE}\n`);
    return 2;
  }
  let token = '';
  for await (const chunk of stdin) token += chunk.toString();
  token = token.trim();
  if (token === '') {
    process.stderr.write('fingerprint: no token on stdin\n');
    return 2;
  }
  try {
    const text = await readFile(file, 'utf8');
    const key = fromStore
      ? auditKeyOfStore(deriveStoreKeys(text.trim()))
      : auditKeyOf(parseCredentials(text, file));
    process.stdout.write(`${fingerprintOf(key, token)}\n`);
    return 0;
  } catch (error) {
    // The message names the file and what is wrong, never a value of it.
    process.stderr.write(`fingerprint: ${(error as Error).message}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2), process.stdin);
}

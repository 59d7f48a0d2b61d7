/**
 * `npm run --silent fingerprint -- --secret-file creds.json`: the audit
 * fingerprint of the visualToken read from stdin, under the key derived
 * from the developer credentials in the file (the secret's JSON, e.g. from
 * `aws secretsmanager get-secret-value --query SecretString --output text`).
 * An operator matches it against the audit line's `fingerprints` to find
 * the request that issued a leaked token (docs/operations.md#audit-trail).
 * The token is read from stdin, not the command line, to keep it out of
 * the shell's history and the process list.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { auditKeyOf, fingerprintOf } from '../functions/token-broker/audit.ts';
import { parseCredentials } from '../functions/token-broker/credentials.ts';

const USAGE = `usage: printf '%s' "$VISUAL_TOKEN" | npm run --silent fingerprint -- --secret-file <secret.json>

Prints the audit-line fingerprint of the token on stdin under the key of the
credentials in <secret.json> (the secret's JSON: userName, password, appCode or
appKey/appSecret). Use the secret version that was current when the token was issued.`;

/** Runs the command; returns the exit code. */
export async function main(
  argv: readonly string[],
  stdin: AsyncIterable<Buffer | string>,
): Promise<number> {
  let file: string | undefined;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { 'secret-file': { type: 'string' }, help: { type: 'boolean' } },
    });
    if (values.help === true) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    file = values['secret-file'];
  } catch (error) {
    process.stderr.write(`fingerprint: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (file === undefined) {
    process.stderr.write(`fingerprint: --secret-file is required\n${USAGE}\n`);
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
    const credentials = parseCredentials(await readFile(file, 'utf8'), file);
    process.stdout.write(`${fingerprintOf(auditKeyOf(credentials), token)}\n`);
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

/**
 * `npm run grants -- add|remove|list <principal> [entries…]`
 *
 * Manages the grants directory from a terminal, through `GrantsClient`: the
 * same validation, layout and errors as the app's backend gets. The table
 * is GRANTS_TABLE or `--table`; the SDK reads the usual AWS environment.
 * Against a loopback AWS_ENDPOINT_URL_DYNAMODB (`npm start`'s local table)
 * it needs no AWS account: dummy credentials and a default region, as the
 * local server uses.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  GRANTS_CLIENT_ERROR_CODES,
  GrantsClient,
  GrantsClientError,
  type GrantsListing,
} from '../clients/grants-client.ts';

/** Exit codes, part of the CLI's contract for scripts. */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** The variable naming the table when `--table` is absent: the broker's own. */
export const TABLE_ENV = 'GRANTS_TABLE';

/** The SDK's own variable naming the DynamoDB endpoint. */
export const ENDPOINT_ENV = 'AWS_ENDPOINT_URL_DYNAMODB';

const USAGE = `Usage: npm run grants -- <command> [options] <principal> [entries...]

Commands:
  add <principal> <entry>...      grant the entries (atomic; entries already held stay once)
  remove <principal> <entry>...   revoke the entries (entries not held are ignored)
  list <principal>                print the principal's entries, one a line

  <principal>  user:<sub> or group:<name>
  <entry>      productKey/deviceName, productKey/* or * (quote the * from the shell)

Options:
  --table <name>   the grants table (default $${TABLE_ENV})
  --json           print {principal, entries, updatedAt} as JSON
  -h, --help       show this help

Environment: ${TABLE_ENV}, AWS_REGION, AWS_PROFILE or other AWS credentials, and
${ENDPOINT_ENV} (on 127.0.0.1/localhost, e.g. npm start's local engine, no AWS
account is needed: dummy credentials are used and AWS_REGION defaults to us-east-1).

Exit codes: 0 ok, 1 store error, 2 usage.
`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const COMMANDS = ['add', 'remove', 'list'] as const;
type Command = (typeof COMMANDS)[number];

/** Credentials for a loopback engine, which checks none: never real ones, never sent off the machine. */
const LOOPBACK_CREDENTIALS = {
  accessKeyId: 'AKIDLOCALGRANTS',
  secretAccessKey: 'local-not-a-secret',
};
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The SDK client's settings for `env`: the SDK's own defaults, but with a
 * loopback endpoint dummy credentials and a region, so no AWS credentials
 * are looked up (and the metadata endpoint not called) for a local engine.
 */
export function sdkConfigOf(
  env: Readonly<Record<string, string | undefined>>,
): DynamoDBClientConfig {
  const raw = env[ENDPOINT_ENV]?.trim() ?? '';
  if (raw === '') return {};
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${ENDPOINT_ENV} "${raw}" is not a URL`);
  }
  if (!LOOPBACK_HOSTS.has(url.hostname)) return {};
  return {
    endpoint: url.origin,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    credentials: LOOPBACK_CREDENTIALS,
  };
}

function describeError(error: unknown): string {
  if (error instanceof GrantsClientError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

const print = (listing: GrantsListing, json: boolean) =>
  process.stdout.write(
    json
      ? `${JSON.stringify(listing, null, 2)}\n`
      : listing.entries.map((entry) => `${entry}\n`).join(''),
  );

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      table: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, principal, ...entries] = positionals;
  return { values, command, principal, entries };
}

async function perform(argv: string[], env: Readonly<Record<string, string | undefined>>) {
  const { values, command, principal, entries } = parse(argv);
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!COMMANDS.includes(command as Command)) {
    throw new UsageError(`unknown command "${command ?? ''}": use add, remove or list`);
  }
  if (principal === undefined) throw new UsageError(`${command}: name a principal`);
  if (command === 'list' && entries.length > 0) {
    throw new UsageError(`list: takes one principal, got also "${entries[0]}"`);
  }
  const table = values.table ?? env[TABLE_ENV]?.trim() ?? '';
  if (table === '') throw new UsageError(`name the grants table with --table or ${TABLE_ENV}`);
  const client = new DynamoDBClient(sdkConfigOf(env));
  try {
    const grants = new GrantsClient({ tableName: table, client });
    const listing =
      command === 'list'
        ? await grants.list(principal)
        : await grants[command as 'add' | 'remove'](principal, entries);
    print(listing, values.json);
  } finally {
    client.destroy();
  }
}

/** Codes of GrantsClientError that are the caller's arguments, not the store. */
const USAGE_CODES: readonly string[] = [
  GRANTS_CLIENT_ERROR_CODES.invalidPrincipal,
  GRANTS_CLIENT_ERROR_CODES.invalidEntry,
  GRANTS_CLIENT_ERROR_CODES.noEntries,
  GRANTS_CLIENT_ERROR_CODES.invalidOptions,
];

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function run(
  argv: string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  try {
    await perform(argv, env);
    return EXIT.ok;
  } catch (error) {
    const usage =
      error instanceof UsageError ||
      (error instanceof GrantsClientError && USAGE_CODES.includes(error.code)) ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`grants: ${describeError(error)}\n`);
    if (usage) {
      process.stderr.write(`\n${USAGE}`);
      return EXIT.usage;
    }
    return EXIT.error;
  }
}

if (import.meta.main) process.exitCode = await run(process.argv.slice(2));

/**
 * `visual-token-broker tokens [--url URL] [--token JWT] [--json] [--refresh] pkA/dev1 pkB/dev2 …`
 * `visual-token-broker devices [--url URL] [--token JWT] [--json]`
 *
 * Asks the broker for visual tokens, or for the caller's grants
 * (`GET /tokens/devices`), through the browser client and prints a table or
 * a list, or the JSON result. Against a loopback URL and without a token it
 * signs a dev token with the local dev issuer, as `npm start` accepts.
 */
import { parseArgs } from 'node:util';
import {
  BrowserTokenClient,
  type DeviceGrantsResult,
  type DeviceKey,
  TokenBrokerError,
  TokenBrokerHttpError,
  type TokenResult,
} from '../clients/browser-client.ts';

/** Exit codes, part of the CLI's contract for scripts. */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  someDevicesFailed: 3,
} as const;

/** Where `npm start` listens. */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** Environment variable read when `--token` is absent. */
export const TOKEN_ENV = 'VISUAL_TOKEN_BROKER_TOKEN';

const USAGE = `Usage: visual-token-broker tokens [options] <productKey/deviceName>...
       visual-token-broker devices [options]

Commands:
  tokens           visual tokens for the devices named
  devices          the caller's grants, one a line: *, productKey/* or
                   productKey/deviceName (claim and grants directory together)

Options:
  --url <url>      broker base URL (default ${DEFAULT_URL})
  --token <jwt>    bearer token (default $${TOKEN_ENV}; against a loopback URL,
                   a fresh dev token from the local dev issuer)
  --json           print the JSON result instead of a table
  --refresh        tokens: have the broker log in again for these devices rather
                   than serve cached tokens (for a token the player rejected)
  -h, --help       show this help

Exit codes: 0 ok (all tokens), 1 error, 2 usage, 3 some devices got no token.
`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseDevice(spec: string): DeviceKey {
  const slash = spec.indexOf('/');
  if (slash <= 0 || slash === spec.length - 1) {
    throw new UsageError(`"${spec}" is not productKey/deviceName`);
  }
  return { productKey: spec.slice(0, slash), deviceName: spec.slice(slash + 1) };
}

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

async function accessToken(url: URL, token: string | undefined): Promise<string> {
  const given = token ?? process.env[TOKEN_ENV];
  if (given !== undefined && given !== '') return given;
  if (!isLoopback(url)) throw new UsageError(`--token is required for ${url.origin}`);
  // Loaded only here: the dev issuer is a development aid, not part of the client.
  const { issueDevToken } = await import('../functions/local/dev-issuer.ts');
  return issueDevToken();
}

function table(result: TokenResult): string {
  const rows = [
    ['DEVICE', 'RESULT', 'EXPIRES IN', 'VISUAL TOKEN'],
    ...result.tokens.map((t) => [
      `${t.productKey}/${t.deviceName}`,
      'OK',
      `${t.expiresIn}s`,
      t.visualToken,
    ]),
    ...result.failures.map((f) => [`${f.productKey}/${f.deviceName}`, f.code, '-', f.message]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] ?? 0) : cell)).join('  '))
    .join('\n');
}

/** The grants as entries, one a line, in the grant claim's own spelling. */
const grantLines = (grants: DeviceGrantsResult): string =>
  [
    ...(grants.all ? ['*'] : []),
    ...grants.products.map((productKey) => `${productKey}/*`),
    ...grants.devices.map((d) => `${d.productKey}/${d.deviceName}`),
  ].join('\n');

function describeError(error: unknown): string {
  if (error instanceof TokenBrokerHttpError) {
    const extra = [
      error.code,
      `HTTP ${error.status}`,
      ...(error.field ? [`field ${error.field}`] : []),
      ...(error.devices
        ? [`devices ${error.devices.map((d) => `${d.productKey}/${d.deviceName}`).join(', ')}`]
        : []),
      ...(error.requestId ? [`request ${error.requestId}`] : []),
    ];
    return `${error.detail} (${extra.join(', ')})`;
  }
  if (error instanceof TokenBrokerError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  const parse = (args: string[]) =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string', default: DEFAULT_URL },
        token: { type: 'string' },
        json: { type: 'boolean', default: false },
        refresh: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT.ok;
    }
    const [command, ...specs] = positionals;
    if (command !== 'tokens' && command !== 'devices') {
      throw new UsageError(`unknown command "${command ?? ''}": use tokens or devices`);
    }
    if (command === 'devices' && specs.length > 0) {
      throw new UsageError(`devices: takes no device, got "${specs[0]}"`);
    }
    if (command === 'devices' && values.refresh) throw new UsageError('--refresh: tokens only');
    if (command === 'tokens' && specs.length === 0) {
      throw new UsageError('name at least one productKey/deviceName');
    }
    const devices = specs.map(parseDevice);
    let url: URL;
    try {
      url = new URL(values.url);
    } catch {
      throw new UsageError(`--url "${values.url}" is not a URL`);
    }
    const token = await accessToken(url, values.token);
    const client = new BrowserTokenClient({ baseUrl: url.href, getBearerToken: () => token });
    if (command === 'devices') {
      const grants = await client.listDevices();
      const text = values.json ? JSON.stringify(grants, null, 2) : grantLines(grants);
      process.stdout.write(text === '' ? '' : `${text}\n`);
      return EXIT.ok;
    }
    const result = await client.getTokens(devices, { refresh: values.refresh });
    process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : table(result)}\n`);
    return result.failures.length > 0 ? EXIT.someDevicesFailed : EXIT.ok;
  } catch (error) {
    const usage =
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`visual-token-broker: ${describeError(error)}\n`);
    if (usage) {
      process.stderr.write(`\n${USAGE}`);
      return EXIT.usage;
    }
    return EXIT.error;
  }
}

if (import.meta.main) process.exitCode = await run(process.argv.slice(2));

/**
 * `npm run --silent dev-token -- [--devices "pkA/*,pkB/dev1" | --no-devices] [--sub alice]
 * [--groups ops,viewers] [--expires-in 600]` prints a token the local server
 * accepts, and nothing else. With no `--devices` the token grants `*`
 * (every device); with `--no-devices` it carries no device claim, so only
 * the grants directory grants anything.
 */
import { parseArgs } from 'node:util';
import { DEFAULTS, ENV } from '../token-broker/config.ts';
import { parseGrants } from '../token-broker/scope.ts';
import { type DevTokenOptions, issueDevToken } from './dev-issuer.ts';

/** The groups claim's name: GROUPS_CLAIM, as `npm start` reads it, else its default. */
const groupsClaim = process.env[ENV.groupsClaim]?.trim() || DEFAULTS.groupsClaim;

const USAGE = `Usage: npm run --silent dev-token -- [options]

Prints a dev JWT that the local server (npm start) accepts, and nothing else.

Options:
  --devices <grants>  the devices claim: productKey/deviceName, productKey/* or *,
                      separated by commas or spaces (default *, every device)
  --no-devices        no devices claim: only the grants directory (GRANTS_TABLE)
                      grants devices to this token
  --sub <subject>     the subject, the directory's user:<subject> (default dev-user)
  --groups <a,b>      the groups claim (${groupsClaim}, from GROUPS_CLAIM), as an array:
                      the directory's group:<name> principals (default none)
  --expires-in <s>    lifetime in seconds (default 3600)
  -h, --help          show this help

Exit codes: 0 a token was printed, 2 usage.
`;

const fail = (message: string): never => {
  process.stderr.write(`dev-token: ${message}\n\n${USAGE}`);
  process.exit(2);
};

interface Values {
  devices?: string;
  'no-devices'?: boolean;
  sub?: string;
  groups?: string;
  'expires-in'?: string;
  help?: boolean;
}

let values: Values;
try {
  ({ values } = parseArgs({
    options: {
      devices: { type: 'string' },
      'no-devices': { type: 'boolean' },
      sub: { type: 'string' },
      groups: { type: 'string' },
      'expires-in': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
} catch (error) {
  values = fail((error as Error).message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

/** `--devices`, checked: a typo would otherwise yield a token that silently grants less. */
function devices({ devices, 'no-devices': none }: Values): DevTokenOptions['devices'] {
  if (none) {
    if (devices !== undefined) fail('--devices and --no-devices exclude each other');
    return null;
  }
  if (devices === undefined) return undefined;
  const grants = parseGrants(devices);
  if (grants.ignored > 0) {
    fail(
      `--devices holds ${grants.ignored} malformed entr${grants.ignored === 1 ? 'y' : 'ies'}; use productKey/deviceName, productKey/* or *, separated by commas or spaces`,
    );
  }
  return devices;
}

/** `--groups a,b` as the array a groups claim is (Cognito's `cognito:groups` is one). */
function groups(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((name) => name.trim());
  // A principal is group:<name> with no whitespace in the name (PRINCIPAL_PATTERN).
  if (names.some((name) => !/^\S{1,256}$/.test(name))) {
    fail('--groups must be group names separated by commas, each without spaces');
  }
  return names;
}

const expiresIn = values['expires-in'] === undefined ? undefined : Number(values['expires-in']);
if (expiresIn !== undefined && !(Number.isInteger(expiresIn) && expiresIn > 0)) {
  fail('--expires-in must be a positive whole number of seconds');
}
if (values.sub?.trim() === '') fail('--sub must not be empty');
const grants = devices(values);
const groupNames = groups(values.groups);

process.stdout.write(
  `${await issueDevToken({
    ...(grants === undefined ? {} : { devices: grants }),
    ...(values.sub === undefined ? {} : { sub: values.sub }),
    ...(groupNames === undefined ? {} : { claims: { [groupsClaim]: groupNames } }),
    ...(expiresIn === undefined ? {} : { expiresInSeconds: expiresIn }),
  })}\n`,
);

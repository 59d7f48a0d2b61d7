/**
 * `npm run --silent dev-token -- [--devices "pkA/*,pkB/dev1"] [--sub alice] [--expires-in 600]`
 * prints a token the local server accepts, and nothing else. With no
 * `--devices` the token grants `*` (every device).
 */
import { parseArgs } from 'node:util';
import { parseGrants } from '../token-broker/scope.ts';
import { issueDevToken } from './dev-issuer.ts';

const USAGE = `Usage: npm run --silent dev-token -- [options]

Prints a dev JWT that the local server (npm start) accepts, and nothing else.

Options:
  --devices <grants>  the devices claim: productKey/deviceName, productKey/* or *,
                      separated by commas or spaces (default *, every device)
  --sub <subject>     the subject (default dev-user)
  --expires-in <s>    lifetime in seconds (default 3600)
  -h, --help          show this help

Exit codes: 0 a token was printed, 2 usage.
`;

const fail = (message: string): never => {
  process.stderr.write(`dev-token: ${message}\n\n${USAGE}`);
  process.exit(2);
};

let values: { devices?: string; sub?: string; 'expires-in'?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      devices: { type: 'string' },
      sub: { type: 'string' },
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

const expiresIn = values['expires-in'] === undefined ? undefined : Number(values['expires-in']);
if (expiresIn !== undefined && !(Number.isInteger(expiresIn) && expiresIn > 0)) {
  fail('--expires-in must be a positive whole number of seconds');
}
if (values.devices !== undefined) {
  // A typo would otherwise yield a token that silently grants less than intended.
  const grants = parseGrants(values.devices);
  if (grants.ignored > 0) {
    fail(
      `--devices holds ${grants.ignored} malformed entr${grants.ignored === 1 ? 'y' : 'ies'}; use productKey/deviceName, productKey/* or *, separated by commas or spaces`,
    );
  }
}
if (values.sub?.trim() === '') fail('--sub must not be empty');

process.stdout.write(
  `${await issueDevToken({
    ...(values.devices === undefined ? {} : { devices: values.devices }),
    ...(values.sub === undefined ? {} : { sub: values.sub }),
    ...(expiresIn === undefined ? {} : { expiresInSeconds: expiresIn }),
  })}\n`,
);

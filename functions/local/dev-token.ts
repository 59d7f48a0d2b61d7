/**
 * `npm run --silent dev-token -- [--devices "pkA/*,pkB/dev1"] [--sub alice] [--expires-in 600]`
 * prints a token the local server accepts, and nothing else.
 */
import { parseArgs } from 'node:util';
import { issueDevToken } from './dev-issuer.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string' },
    sub: { type: 'string' },
    'expires-in': { type: 'string' },
  },
  strict: true,
});

const expiresIn = values['expires-in'] === undefined ? undefined : Number(values['expires-in']);
if (expiresIn !== undefined && !Number.isInteger(expiresIn)) {
  process.stderr.write('--expires-in must be a whole number of seconds\n');
  process.exit(2);
}

process.stdout.write(
  `${await issueDevToken({
    ...(values.devices === undefined ? {} : { devices: values.devices }),
    ...(values.sub === undefined ? {} : { sub: values.sub }),
    ...(expiresIn === undefined ? {} : { expiresInSeconds: expiresIn }),
  })}\n`,
);

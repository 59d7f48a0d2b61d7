/**
 * `npm run fleet [-- --containers 3 --port 3000 --no-store --grants --accounts cn,eu --upstream-latency-ms 0]`:
 * a local stand-in for a fleet of Lambda containers sharing one upstream,
 * one token store and, with `--grants`, one grants directory (see
 * functions/local/fleet.ts). Prints each
 * container's counters on `s` (interactive terminal) and on exit.
 */
import { parseArgs } from 'node:util';
import { issueDevToken } from '../functions/local/dev-issuer.ts';
import { type Fleet, type FleetSummary, startFleet } from '../functions/local/fleet.ts';
import { accountLines } from '../functions/local/local-account-set.ts';
import { defaultRoutes } from '../functions/local/local-accounts.ts';
import { grantsCliExports } from '../functions/local/local-grants.ts';
import { exampleBody } from '../functions/local/ready-line.ts';

/** The columns of the summary: heading and metric key. */
const COLUMNS = [
  ['L1 hits', 'cacheHits'],
  ['L2 hits', 'storeHits'],
  ['leases', 'leasesTaken'],
  ['lease waits', 'leaseWaits'],
  ['logins', 'upstreamLogins'],
  ['store errors', 'storeErrors'],
] as const;

/** The summary as a plain-text table. */
export function formatSummary(summary: FleetSummary): string {
  const rows = [
    ['container', ...COLUMNS.map(([heading]) => heading)],
    ...summary.containers.map((c) => [
      c.name,
      ...COLUMNS.map(([, key]) => String(c.counts[key] ?? 0)),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  return [
    ...rows.map(line),
    `upstream simulator: ${summary.upstreamLogins} logins for ${summary.upstreamDevices} devices`,
    ...summary.accounts.map(
      (a) => `  account ${a.name}: ${a.logins} logins for ${a.devices} devices`,
    ),
  ].join('\n');
}

const USAGE = `Usage: npm run fleet -- [options]

Starts a local stand-in for a fleet of Lambda containers: an embedded dynalite
holding the token table, one shared upstream simulator, and N processes of
npm start behind one front port that hands each a request at a time.

Options:
  --containers <n>           containers, 1 to 64 (default 3)
  --port <port>              the front port on 127.0.0.1, 0 for a free one (default 3000)
  --no-store                 TOKEN_TABLE unset: each container logs in on its own
  --grants                   GRANTS_TABLE set: one grants directory on the same dynalite,
                             read by every container (npm run grants manages it)
  --accounts <a,b>           accounts beside default, one shared simulator each
                             (LOCAL_ACCOUNTS of npm start; product pkA goes to a, …)
  --upstream-latency-ms <ms> latency the simulator adds to every login (default 0)
  -h, --help                 show this help

Press s for each container's counters; Ctrl-C stops everything it started.
Exit codes: 0 stopped, 1 could not start or a container exited, 2 usage.
`;

/** The ready line's grants lines: where the directory is, and how `npm run grants` reaches it. */
export function grantsLines(fleet: Pick<Fleet, 'dynalite' | 'grantsTable'>): string[] {
  if (fleet.grantsTable === undefined || fleet.dynalite === undefined) return [];
  return [
    `  grants:   directory on: table ${fleet.grantsTable} on the embedded dynalite`,
    `            for npm run grants: ${grantsCliExports(fleet.grantsTable, fleet.dynalite.endpoint)}`,
  ];
}

/** The ready line's accounts: which product goes where, with `--accounts`. */
export function fleetAccountLines(fleet: Pick<Fleet, 'accounts' | 'simulator'>): string[] {
  if (fleet.accounts === undefined) return [];
  return accountLines(
    fleet.accounts,
    defaultRoutes(fleet.accounts.accounts),
    'the shared simulator',
  );
}

const fail = (message: string): never => {
  process.stderr.write(`fleet: ${message}\n\n${USAGE}`);
  process.exit(2);
};

if (import.meta.main) {
  let values: {
    containers?: string;
    port?: string;
    'no-store'?: boolean;
    grants?: boolean;
    accounts?: string;
    'upstream-latency-ms'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        containers: { type: 'string' },
        port: { type: 'string' },
        'no-store': { type: 'boolean' },
        grants: { type: 'boolean' },
        accounts: { type: 'string' },
        'upstream-latency-ms': { type: 'string' },
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
  const whole = (
    raw: string | undefined,
    name: string,
    fallback: number,
    min: number,
    max: number,
  ) => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      fail(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const containers = whole(values.containers, 'containers', 3, 1, 64);
  const port = whole(values.port, 'port', 3000, 0, 65535);
  const latency = whole(values['upstream-latency-ms'], 'upstream-latency-ms', 0, 0, 60_000);

  let fleet: Fleet | undefined;
  let exiting = false;
  const shutdown = async (code: number) => {
    if (exiting) return;
    exiting = true;
    try {
      if (fleet) process.stdout.write(`\n${formatSummary(await fleet.summary())}\n`);
    } finally {
      await fleet?.close();
      process.exit(code);
    }
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  try {
    fleet = await startFleet({
      containers,
      port,
      store: !values['no-store'],
      grants: values.grants === true,
      ...(values.accounts === undefined ? {} : { accounts: values.accounts.split(',') }),
      upstreamLatencyMs: latency,
      onContainerExit: (c, code) => {
        process.stderr.write(`fleet: container ${c.name} exited (${code}); stopping\n`);
        void shutdown(1);
      },
    });
  } catch (error) {
    const hint =
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? ` (port ${port} is in use: pick another with --port, or --port 0 for a free one)`
        : '';
    process.stderr.write(
      `fleet could not start: ${error instanceof Error ? error.message : String(error)}${hint}\n`,
    );
    await shutdown(1);
  }
  if (fleet) {
    const token = await issueDevToken();
    const body = exampleBody(fleet.accounts?.accounts.map((a) => a.productKey));
    process.stdout.write(
      [
        `visual-token-broker fleet ready on ${fleet.url}: ${fleet.containers.length} containers, one request at a time each`,
        ...fleet.containers.map(
          (c) => `  ${c.name}: ${c.url} (pid ${c.pid}, ready in ${c.startMs.toFixed(0)} ms)`,
        ),
        `  upstream: shared simulator at ${fleet.simulator.url}${latency ? `, ${latency} ms per login` : ''}`,
        `  store:    ${fleet.dynalite && !values['no-store'] ? `embedded dynalite at ${fleet.dynalite.endpoint}` : 'off (TOKEN_TABLE unset: each container logs in on its own)'}`,
        ...grantsLines(fleet),
        ...fleetAccountLines(fleet),
        '',
        'Try it (a dev token valid for 1 hour; `npm run --silent dev-token` makes more):',
        '',
        `curl -s -X POST ${fleet.url}/tokens -H 'Content-Type: application/json' -H 'Authorization: Bearer ${token}' -d '${body}'`,
        '',
        process.stdin.isTTY
          ? "Press s for each container's counters, Ctrl-C to stop."
          : 'Ctrl-C (SIGINT) or SIGTERM stops it and prints the counters.',
        '',
      ].join('\n'),
    );
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      process.stdin.resume();
      process.stdin.on('data', (key: Buffer) => {
        const ch = key.toString('utf8');
        // Raw mode swallows Ctrl-C's signal: honour it as the key it is.
        if (ch === '\u0003') void shutdown(0);
        else if (ch.toLowerCase() === 's' && fleet) {
          fleet.summary().then((s) => process.stdout.write(`${formatSummary(s)}\n\n`));
        }
      });
    }
  }
}

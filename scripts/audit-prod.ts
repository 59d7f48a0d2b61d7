/**
 * `npm run audit:prod`: `npm audit --omit=dev`, failing on any high or
 * critical advisory. A registry without the advisory endpoint (as on the
 * offline build machines, which answer 405) cannot be audited: that is said
 * loudly and is not counted as a pass, but it does not fail the build, since
 * nothing in the tree could fix it.
 */
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
let report: {
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity: string }>;
  message?: string;
  statusCode?: number;
};
try {
  report = JSON.parse(run.stdout);
} catch {
  process.stderr.write(`npm audit printed no JSON:\n${run.stdout}\n${run.stderr}\n`);
  process.exit(1);
}

const counts = report.metadata?.vulnerabilities;
if (counts === undefined) {
  process.stdout.write(
    `AUDIT NOT RUN: the registry's advisory endpoint could not be used (${report.message ?? `HTTP ${report.statusCode}`}). ` +
      'No advisory was checked; run `npm run audit:prod` where the npm registry is reachable.\n',
  );
  process.exit(0);
}
const high = (counts.high ?? 0) + (counts.critical ?? 0);
const flagged = Object.entries(report.vulnerabilities ?? {})
  .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
  .map(([name, v]) => `${name} (${v.severity})`);
process.stdout.write(
  `npm audit --omit=dev: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low\n`,
);
if (high > 0) {
  process.stderr.write(
    `High or critical advisories in production dependencies: ${flagged.join(', ')}\n`,
  );
  process.exit(1);
}

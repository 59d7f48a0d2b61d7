/**
 * `GET /__local/stats` of the local server: the process's metric totals
 * (see counting-metrics.ts), read by `npm run fleet` and by hand. Like the
 * server's other local endpoints it answers only loopback Host names (the
 * server checks that first) and refuses what only a web page would send.
 */
import type { IncomingMessage } from 'node:http';

/** Path of the stats endpoint. */
export const STATS_PATH = '/__local/stats';

/** Status texts of {@link refuseStats}' answers. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  403: 'Forbidden: requests from a web page are refused (Origin or Sec-Fetch-Site present)',
  405: 'Method Not Allowed: GET only',
};

/**
 * Refuses a stats request that is not a plain GET from a tool: a page the
 * developer opens has no business reading what the broker did.
 * @returns the status to answer, or undefined to serve it.
 */
export function refuseStats(req: IncomingMessage): number | undefined {
  const site = req.headers['sec-fetch-site'];
  if (req.headers.origin !== undefined || site === 'cross-site' || site === 'same-site') return 403;
  if (req.method !== 'GET') return 405;
  return undefined;
}

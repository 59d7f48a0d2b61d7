/**
 * `npm run soak`: the load and memory scenarios of `load.test.ts`, ten times
 * longer, on loopback. Not part of `npm test`. Sizes can be changed with
 * SOAK_REQUESTS (default 200,000) and SOAK_DEVICES (default 1,000,000).
 * Prints the figures as JSON and exits 1 if a bound is broken.
 */
import { cacheHitLoad, distinctDevicesLoad } from './scenarios.ts';

const count = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 100_000_000) {
    throw new Error(`${name} must be a whole number from 1 to 100000000, got "${raw}"`);
  }
  return Number(raw);
};

const requests = count('SOAK_REQUESTS', 200_000);
const devices = count('SOAK_DEVICES', 1_000_000);
const phases = 10;
const maxEntries = 10_000;

const started = Date.now();
const load = await cacheHitLoad({ requests, connections: 100, devicesPerRequest: 5 });
const memory = await distinctDevicesLoad({
  devices,
  perRequest: 50,
  maxEntries,
  concurrency: 4,
  phases,
});
const heap = memory.heapAfterPhaseMiB;
const failures = [
  load.ok !== requests && `${requests - load.ok} of ${requests} requests were not 2xx`,
  load.errors > 0 && `${load.errors} connection errors`,
  load.maxLoginsPerDevice > 1 && `a device was logged in ${load.maxLoginsPerDevice} times`,
  memory.cacheSize > maxEntries && `the cache holds ${memory.cacheSize} > ${maxEntries} entries`,
  (heap.at(-1) ?? 0) - (heap[0] ?? 0) > 2 * (phases - 1) &&
    `the heap grew from ${heap[0]} to ${heap.at(-1)} MiB after the cache was full`,
].filter((f): f is string => typeof f === 'string');

process.stdout.write(
  `${JSON.stringify({ seconds: Math.round((Date.now() - started) / 1000), load, memory, failures }, null, 2)}\n`,
);
process.exitCode = failures.length === 0 ? 0 : 1;

/**
 * Load and memory at CI size (see docs/operations.md#reliability for the
 * figures): autocannon against the local server over loopback, and 100,000
 * distinct devices through the handler in process. `npm run soak` runs the
 * same scenarios longer.
 */
import { describe, expect, it } from 'vitest';
import { cacheHitLoad, distinctDevicesLoad } from './scenarios.ts';

describe('load', () => {
  it('serves 20,000 requests at concurrency 100 with no error and one upstream login per device', async () => {
    // Act
    const result = await cacheHitLoad({ requests: 20_000, connections: 100, devicesPerRequest: 5 });
    // Assess
    expect(result).toMatchObject({
      requests: 20_000,
      ok: 20_000,
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      maxLoginsPerDevice: 1,
      devicesLoggedIn: 5,
    });
  }, 90_000);

  it('keeps memory bounded through 100,000 distinct devices: the cache stops at TOKEN_CACHE_MAX_ENTRIES', async () => {
    // Prepare
    const phases = 4;
    // Act
    const result = await distinctDevicesLoad({
      devices: 100_000,
      perRequest: 50,
      maxEntries: 10_000,
      concurrency: 4,
      phases,
    });
    // Assess
    expect(result).toMatchObject({
      tokensIssued: 100_000,
      upstreamLogins: 2000,
      cacheSize: 10_000,
    });
    // The cache is full after the first phase (25,000 devices). From there an
    // unbounded cache grows the heap by about 7 MiB per phase; this one must
    // stay within 2 MiB per phase.
    const [first, ...rest] = result.heapAfterPhaseMiB;
    const last = rest.at(-1) ?? Number.NaN;
    expect(last - (first ?? Number.NaN)).toBeLessThan(2 * (phases - 1));
  }, 90_000);
});

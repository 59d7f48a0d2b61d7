/**
 * The wide burst of issue 16: K separate `npm start` processes
 * ("containers") sharing one real dynalite table and one upstream with
 * 40 ms logins, each asked at the same moment for the same D new devices in
 * ONE request (a camera wall opened by several users right after a deploy).
 * The fleet must log in for each device once and hand out one token per
 * device, however the leases race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type Fleet, startFleet } from '../../functions/local/fleet.ts';
import { type BurstResult, wideBurst } from '../support/wide-burst.ts';

const TIMEOUT = 120_000;

let bearer: string;

beforeAll(async () => {
  bearer = `Bearer ${await issueDevToken()}`;
});

describe.each([
  { containers: 4, devices: 24 },
  { containers: 8, devices: 50 },
])(
  'a wide burst: $containers containers × $devices new devices in one request each',
  ({ containers, devices }) => {
    let fleet: Fleet;

    beforeAll(async () => {
      fleet = await startFleet({ containers, port: 0, upstreamLatencyMs: 40 });
    }, TIMEOUT);

    afterAll(async () => {
      await fleet?.close();
    }, TIMEOUT);

    it(
      `costs at most ${devices} device logins and one token per device`,
      async () => {
        // Prepare
        const urls = fleet.containers.map((c) => c.url);

        // Act
        const result: BurstResult = await wideBurst({
          fleet,
          urls,
          devices,
          bearer,
          prefix: 'wall',
        });

        // Assess
        expect(result.statuses).toEqual(urls.map(() => 200));
        expect(result.tokensPerDevice.size).toBe(devices);
        expect(result.deviceLogins).toBeLessThanOrEqual(devices);
        for (const [device, tokens] of result.tokensPerDevice) {
          expect(tokens.size, device).toBe(1);
        }
      },
      TIMEOUT,
    );
  },
);

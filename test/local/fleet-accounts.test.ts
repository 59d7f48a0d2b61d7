/**
 * The wide burst of issue 16 with two accounts (issue 18): four `npm start`
 * processes sharing one real dynalite table, each asked at the same moment
 * for the same twelve new devices of each of two accounts, in one request.
 * The split by account must not cost the fleet's sharing: each device is
 * logged in once fleet-wide, at its own account's simulator, and the
 * summary `npm run fleet` prints counts the logins per account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type Fleet, startFleet } from '../../functions/local/fleet.ts';
import { formatSummary } from '../../scripts/fleet.ts';
import { wideBurst } from '../support/wide-burst.ts';

const CONTAINERS = 4;
const DEVICES = 12;
const TIMEOUT = 120_000;

describe(`a wide burst over two accounts: ${CONTAINERS} containers × 2 accounts × ${DEVICES} new devices`, () => {
  let fleet: Fleet;
  let bearer: string;

  beforeAll(async () => {
    bearer = `Bearer ${await issueDevToken()}`;
    fleet = await startFleet({
      containers: CONTAINERS,
      port: 0,
      accounts: ['cn', 'eu'],
      upstreamLatencyMs: 40,
    });
  }, TIMEOUT);

  afterAll(async () => {
    await fleet?.close();
  }, TIMEOUT);

  it(
    `costs exactly ${DEVICES} device logins per account, each at its own simulator`,
    async () => {
      // Prepare
      const urls = fleet.containers.map((c) => c.url);
      const accounts = fleet.accounts?.accounts ?? [];

      // Act
      const result = await wideBurst({
        fleet,
        urls,
        devices: DEVICES,
        bearer,
        prefix: 'two',
        productKeys: accounts.map((a) => a.productKey),
      });

      // Assess
      expect(result.statuses).toEqual(urls.map(() => 200));
      expect(result.tokensPerDevice.size).toBe(2 * DEVICES);
      for (const [device, tokens] of result.tokensPerDevice) expect(tokens.size, device).toBe(1);
      expect(result.deviceLogins).toBe(2 * DEVICES);
      for (const account of accounts) {
        const devices = account.simulator?.logins.flatMap((l) => l.devices) ?? [];
        expect(devices, account.name).toHaveLength(DEVICES);
        expect(new Set(devices).size, account.name).toBe(DEVICES);
        expect(devices.every((d) => d.startsWith(`${account.productKey}/`))).toBe(true);
      }
      expect(fleet.simulator.requests()).toBe(0);
      const summary = await fleet.summary();
      expect(summary.accounts.map((a) => [a.name, a.devices])).toEqual([
        ['default', 0],
        ['cn', DEVICES],
        ['eu', DEVICES],
      ]);
      expect(formatSummary(summary)).toMatch(/ {2}account eu: \d+ logins for 12 devices/);
    },
    TIMEOUT,
  );
});

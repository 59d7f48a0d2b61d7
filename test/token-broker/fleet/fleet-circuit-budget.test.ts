/**
 * The shared circuit and the hourly login budget, both off by default,
 * against a real dynalite table shared by separate runtimes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../../functions/token-broker/handler.ts';
import { devicesOf, startFleet } from '../../support/fleet.ts';

type Fleet = Awaited<ReturnType<typeof startFleet>>;
let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const bodyOf = (r: HttpResponse) => JSON.parse(r.body ?? '{}');

/** Polls until `check` holds, for a write the breaker started without waiting. */
const eventually = async (check: () => boolean, ms = 2000) => {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const FAILING = { CIRCUIT_BREAKER_THRESHOLD: '1', UPSTREAM_MAX_RETRIES: '0' };

describe('shared circuit', () => {
  it('fails when another container opened the circuit: 503 UPSTREAM_UNAVAILABLE at once, no login', async () => {
    // Prepare
    fleet = await startFleet({ containers: 2, env: { ...FAILING, SHARED_CIRCUIT: 'true' } });
    const [a, b] = fleet.containers;
    fleet.sim.setFault({ kind: 'status-503' });
    const failed = (await a?.http(devicesOf(1, 'a'))) as HttpResponse;
    // The lease, its release and the circuit marker.
    await eventually(() => (fleet?.engine.requests.get('UpdateItem') ?? 0) >= 3);
    const requests = fleet.sim.requests();

    // Act
    const refused = (await b?.http(devicesOf(1, 'b'))) as HttpResponse;

    // Assess
    expect(failed.statusCode).toBe(502);
    expect(refused.statusCode).toBe(503);
    expect(bodyOf(refused).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(
      Number(refused.headers?.['retry-after'] ?? refused.headers?.['Retry-After']),
    ).toBeGreaterThan(0);
    expect(fleet.sim.requests()).toBe(requests);
    expect(b?.count('SharedCircuitRefusals')).toBe(1);
  });

  it('without SHARED_CIRCUIT another container still tries the upstream itself', async () => {
    // Prepare
    fleet = await startFleet({ containers: 2, env: FAILING });
    const [a, b] = fleet.containers;
    fleet.sim.setFault({ kind: 'status-503' });
    await a?.http(devicesOf(1, 'a'));
    const requests = fleet.sim.requests();

    // Act
    await b?.http(devicesOf(1, 'b'));

    // Assess
    expect(fleet.sim.requests()).toBe(requests + 1);
    expect(b?.count('SharedCircuitRefusals')).toBe(0);
  });
});

describe('login budget', () => {
  const HOUR = 3_600_000;
  const T = Math.floor(Date.now() / HOUR) * HOUR + 10 * 60_000; // 10 minutes past an hour

  it('counts fleet-wide logins per hour and publishes the total', async () => {
    // Prepare
    fleet = await startFleet({
      containers: 2,
      env: { LOGIN_BUDGET_PER_HOUR: '100' },
      overrides: { now: () => T },
      simulator: { now: () => T },
    });
    const [a, b] = fleet.containers;

    // Act
    await a?.invoke(devicesOf(1, 'a'));
    await b?.invoke(devicesOf(1, 'b'));

    // Assess
    expect(a?.last('FleetLoginsThisHour')).toBe(1);
    expect(b?.last('FleetLoginsThisHour')).toBe(2);
  });

  it('fails when the enforced budget is spent: 429 with Retry-After to the next hour; hits are still served', async () => {
    // Prepare
    fleet = await startFleet({
      containers: 2,
      env: {
        LOGIN_BUDGET_PER_HOUR: '2',
        LOGIN_BUDGET_ENFORCE: 'true',
        LOGIN_BUDGET_PRINCIPAL_PERCENT: '100',
      },
      overrides: { now: () => T },
      simulator: { now: () => T },
    });
    const [a, b] = fleet.containers;
    const [d0, d1, d2] = devicesOf(3);
    await a?.http([d0 as never]);
    await b?.http([d1 as never]);
    const logins = fleet.logins();

    // Act
    const refused = (await a?.http([d2 as never])) as HttpResponse;
    const l1Hit = (await a?.http([d0 as never])) as HttpResponse;
    const l2Hit = (await b?.http([d0 as never])) as HttpResponse;

    // Assess
    expect(logins).toBe(2);
    expect(refused.statusCode).toBe(429);
    expect(bodyOf(refused).code).toBe('UPSTREAM_BUDGET_EXCEEDED');
    expect(refused.headers?.['retry-after'] ?? refused.headers?.['Retry-After']).toBe('3000');
    expect(fleet.logins()).toBe(2);
    expect(a?.count('LoginBudgetExceeded')).toBe(1);
    expect(l1Hit.statusCode).toBe(200);
    expect(l2Hit.statusCode).toBe(200);
  });

  it('without LOGIN_BUDGET_ENFORCE a spent budget is only counted', async () => {
    // Prepare
    fleet = await startFleet({
      containers: 1,
      env: { LOGIN_BUDGET_PER_HOUR: '1' },
      overrides: { now: () => T },
      simulator: { now: () => T },
    });
    const [a] = fleet.containers;
    await a?.http(devicesOf(1, 'x'));

    // Act
    const served = (await a?.http(devicesOf(1, 'y'))) as HttpResponse;

    // Assess
    expect(served.statusCode).toBe(200);
    expect(a?.last('FleetLoginsThisHour')).toBe(2);
    expect(a?.count('LoginBudgetExceeded')).toBe(0);
  });
});

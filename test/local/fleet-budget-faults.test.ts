/**
 * Issue 20 #6 over real `npm start` processes: with LOGIN_BUDGET_ENFORCE
 * and the hour's budget spent, a store read that fails in any of the ways
 * DynamoDB fails (every key unprocessed, a 500, a throttle, a hang) lets no
 * login through by default; LOGIN_BUDGET_ON_STORE_FAULT=open logs in when
 * the budget cannot be read at all.
 */
import { describe, expect, it } from 'vitest';
import type { FaultKind } from '../support/dynamodb-fault-proxy.ts';
import {
  ask,
  deviceLogins,
  type FaultyFleet,
  faultyFleetPerSuite,
  startFaultyFleet,
} from '../support/fleet-store.ts';

const TIMEOUT = 60_000;

/** A budget of 2 logins an hour that one caller may spend whole, and short store calls. */
const BUDGET = {
  LOGIN_BUDGET_PER_HOUR: '2',
  LOGIN_BUDGET_ENFORCE: 'true',
  LOGIN_BUDGET_PRINCIPAL_PERCENT: '100',
  TOKEN_STORE_TIMEOUT_MS: '200',
};

/** Starts one container on `env` and spends its budget with two new devices. */
async function spentFleet(env: Record<string, string>): Promise<FaultyFleet> {
  const f = await startFaultyFleet(1, { env: { ...BUDGET, ...env } });
  const url = f.fleet.containers[0]?.url ?? '';
  for (const device of ['spend-0', 'spend-1']) {
    const { status } = await ask(url, [device]);
    if (status !== 200) throw new Error(`spending the budget answered ${status}`);
  }
  return f;
}

describe('an enforced, spent budget the store cannot read (fail closed, the default)', () => {
  const suite = faultyFleetPerSuite(() => spentFleet({}), TIMEOUT);
  const url = () => suite.f.fleet.containers[0]?.url ?? '';

  it(
    'fails when a new device is asked for with the store healthy: 429 (the control)',
    async () => {
      // Prepare
      const logins = deviceLogins(suite.f.fleet);

      // Act
      const answer = await ask(url(), ['healthy']);

      // Assess
      expect(answer.status).toBe(429);
      expect(deviceLogins(suite.f.fleet)).toBe(logins);
    },
    TIMEOUT,
  );

  it.each<FaultKind>(['unprocessed', 'error500', 'throttle', 'hang'])(
    'fails when BatchGetItem answers %s: no login, the counter still refuses (429)',
    async (kind) => {
      // Prepare
      const logins = deviceLogins(suite.f.fleet);
      suite.f.proxy.fault('BatchGetItem', kind);

      // Act
      const answers = [await ask(url(), [`new-${kind}`]), await ask(url(), [`other-${kind}`])];

      // Assess
      expect(answers.map((a) => a.status)).toEqual([429, 429]);
      expect(deviceLogins(suite.f.fleet)).toBe(logins);
      expect(suite.f.proxy.faulted('BatchGetItem')).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'fails when no store call succeeds: 503 with Retry-After 5, no login',
    async () => {
      // Prepare
      const logins = deviceLogins(suite.f.fleet);
      suite.f.proxy.fault('BatchGetItem', 'error500');
      suite.f.proxy.fault('UpdateItem', 'error500');

      // Act
      const answer = await ask(url(), ['dark']);

      // Assess
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('5');
      expect(deviceLogins(suite.f.fleet)).toBe(logins);
    },
    TIMEOUT,
  );
});

describe('an enforced, spent budget the store cannot read, with LOGIN_BUDGET_ON_STORE_FAULT=open', () => {
  const suite = faultyFleetPerSuite(
    () => spentFleet({ LOGIN_BUDGET_ON_STORE_FAULT: 'open' }),
    TIMEOUT,
  );
  const url = () => suite.f.fleet.containers[0]?.url ?? '';

  it(
    'logs in when no store call succeeds: the budget is unknown, and open lets it through',
    async () => {
      // Prepare
      const logins = deviceLogins(suite.f.fleet);
      suite.f.proxy.fault('BatchGetItem', 'error500');
      suite.f.proxy.fault('UpdateItem', 'error500');

      // Act
      const answer = await ask(url(), ['open-door']);

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.tokens.has('open-door')).toBe(true);
      expect(deviceLogins(suite.f.fleet)).toBe(logins + 1);
    },
    TIMEOUT,
  );

  it(
    'fails when only the read fails: the counter is readable, and spent (429)',
    async () => {
      // Prepare
      const logins = deviceLogins(suite.f.fleet);
      suite.f.proxy.fault('BatchGetItem', 'error500');

      // Act
      const answer = await ask(url(), ['counted']);

      // Assess
      expect(answer.status).toBe(429);
      expect(deviceLogins(suite.f.fleet)).toBe(logins);
    },
    TIMEOUT,
  );
});

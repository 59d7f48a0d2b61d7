/**
 * The fleet targets of issue 13 as call counts: K containers (separate
 * runtimes, each with its own L1, breaker and in-flight logins) share one
 * real dynalite table and one upstream simulator, each serving one request
 * at a time, concurrently with the others.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEV_ACCOUNT } from '../../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../../functions/token-broker/config.ts';
import { parseCredentials } from '../../../functions/token-broker/credentials.ts';
import { deviceId } from '../../../functions/token-broker/device.ts';
import { NO_METRICS } from '../../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../../functions/token-broker/runtime.ts';
import { createDynamoDbTokenStore } from '../../../functions/token-broker/store/dynamodb-token-store.ts';
import { accountKey, deriveStoreKeys } from '../../../functions/token-broker/store/token-crypto.ts';
import { TEST_TABLE } from '../../support/dynalite.ts';
import { lambdaContext } from '../../support/events.ts';
import { captureLogger, fakeSecretSource } from '../../support/fakes.ts';
import { type Answer, devicesOf, FLEET_SECRET, startFleet } from '../../support/fleet.ts';

type Fleet = Awaited<ReturnType<typeof startFleet>>;
let fleet: Fleet | undefined;

afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const tokenOf = (answer: Answer) => answer.tokens[0]?.visualToken;

/**
 * A clock shared by the containers and the simulator, whose tokens are a
 * function of device and second: stepping it makes a new login's token differ.
 */
const steppedClock = () => {
  const clock = { now: Date.now(), step: () => (clock.now += 2000) };
  return { clock, overrides: { now: () => clock.now }, simulator: { now: () => clock.now } };
};

describe('fleet: one login per device per token life', () => {
  it('4 containers × 24 devices, one request at a time each, cost at most 24 logins', async () => {
    // Prepare
    fleet = await startFleet({ containers: 4 });
    const devices = devicesOf(24);
    const { containers } = fleet;

    // Act: every container walks the devices in the same order, so each
    // device is asked of all four at about the same time.
    const answers = await Promise.all(
      containers.map((c) => Promise.all(devices.map((device) => c.invoke([device])))),
    );
    console.info(`fleet figure: 4 containers x 24 devices -> ${fleet.logins()} logins`);

    // Assess
    expect(answers.flat().every((a) => a.tokens.length === 1)).toBe(true);
    expect(fleet.logins()).toBeLessThanOrEqual(24);
    for (const device of devices) {
      const tokens = new Set(
        answers
          .flat()
          .filter((a) => a.tokens[0]?.deviceName === device.deviceName)
          .map(tokenOf),
      );
      expect(tokens.size, deviceId(device)).toBe(1);
    }
  });

  it('the same new device asked of 4 containers at once costs 1 login and gives 4 identical tokens', async () => {
    // Prepare
    fleet = await startFleet({ containers: 4 });
    const [device] = devicesOf(1);

    // Act
    const answers = await Promise.all(fleet.containers.map((c) => c.invoke([device as never])));

    // Assess
    expect(fleet.logins()).toBe(1);
    expect(new Set(answers.map(tokenOf)).size).toBe(1);
    expect(answers.every((a) => tokenOf(a) !== undefined)).toBe(true);
    const waits = fleet.containers.reduce((n, c) => n + c.count('LeaseWaits'), 0);
    expect(waits).toBe(3);
  });

  it('a fresh container serving a device already in the store costs 0 logins and one BatchGetItem', async () => {
    // Prepare
    fleet = await startFleet({ containers: 2 });
    const [warm, fresh] = fleet.containers;
    const devices = devicesOf(3);
    const first = await warm?.invoke(devices);
    const reads = fleet.engine.requests.get('BatchGetItem') ?? 0;

    // Act
    const second = await fresh?.invoke(devices);

    // Assess
    expect(fleet.logins()).toBe(1);
    expect(second?.tokens.map((t) => t.visualToken)).toEqual(
      first?.tokens.map((t) => t.visualToken),
    );
    expect((fleet.engine.requests.get('BatchGetItem') ?? 0) - reads).toBe(1);
    expect(fresh?.count('StoreHits')).toBe(3);
    const line = JSON.parse(fresh?.logger.lines.at(-1) ?? '{}');
    expect(line).toMatchObject({ storeHits: 3, upstreamCalls: 0 });
  });

  it('an L1 hit with the store on makes no store call', async () => {
    // Prepare
    fleet = await startFleet({ containers: 1 });
    const [only] = fleet.containers;
    const devices = devicesOf(2);
    await only?.invoke(devices);
    const before = [...fleet.engine.requests.values()].reduce((a, b) => a + b, 0);

    // Act
    const again = await only?.invoke(devices);

    // Assess
    expect(again?.tokens).toHaveLength(2);
    expect([...fleet.engine.requests.values()].reduce((a, b) => a + b, 0)).toBe(before);
  });
});

describe('fleet: refresh', () => {
  it('10 simultaneous refreshes of one device across 10 containers cost at most 1 login', async () => {
    // Prepare
    const { clock, ...stepped } = steppedClock();
    fleet = await startFleet({ containers: 10, ...stepped });
    const [device] = devicesOf(1);
    const before = tokenOf(
      await (fleet.containers[0]?.invoke([device as never]) as Promise<Answer>),
    );
    const loginsBefore = fleet.logins();
    clock.step();

    // Act
    const answers = await Promise.all(
      fleet.containers.map((c) => c.invoke([device as never], { refresh: true })),
    );

    // Assess
    expect(loginsBefore).toBe(1);
    expect(fleet.logins() - loginsBefore).toBeLessThanOrEqual(1);
    const tokens = new Set(answers.map(tokenOf));
    expect(tokens.size).toBe(1);
    expect(tokens.has(before)).toBe(false);
  });

  it('a refresh right after an ordinary miss still logs in', async () => {
    // Prepare
    const { clock, ...stepped } = steppedClock();
    fleet = await startFleet({ containers: 2, ...stepped });
    const [a, b] = fleet.containers;
    const [device] = devicesOf(1);
    const plain = await a?.invoke([device as never]);
    clock.step();

    // Act
    const refreshed = await b?.invoke([device as never], { refresh: true });

    // Assess
    expect(fleet.logins()).toBe(2);
    expect(tokenOf(refreshed as Answer)).not.toBe(tokenOf(plain as Answer));
    expect(b?.count('RefreshLogins')).toBe(1);
  });

  it('a refresh within the interval gets the newest token with no login, from any container', async () => {
    // Prepare
    fleet = await startFleet({ containers: 2 });
    const [a, b] = fleet.containers;
    const [device] = devicesOf(1);
    const first = await a?.invoke([device as never], { refresh: true });
    const logins = fleet.logins();

    // Act
    const second = await b?.invoke([device as never], { refresh: true });
    const third = await a?.invoke([device as never], { refresh: true });

    // Assess
    expect(logins).toBe(1);
    expect(fleet.logins()).toBe(1);
    expect(tokenOf(second as Answer)).toBe(tokenOf(first as Answer));
    expect(tokenOf(third as Answer)).toBe(tokenOf(first as Answer));
    expect(b?.count('Refreshes')).toBe(1);
  });

  it('a refresh past the interval logs in again and replaces the token in L1', async () => {
    // Prepare
    const clock = { now: Date.now() };
    fleet = await startFleet({
      containers: 1,
      overrides: { now: () => clock.now },
      simulator: { now: () => clock.now },
    });
    const [a] = fleet.containers;
    const [device] = devicesOf(1);
    const first = await a?.invoke([device as never], { refresh: true });
    clock.now += 31_000;

    // Act
    const second = await a?.invoke([device as never], { refresh: true });
    const plain = await a?.invoke([device as never]);

    // Assess
    expect(fleet.logins()).toBe(2);
    expect(tokenOf(second as Answer)).not.toBe(tokenOf(first as Answer));
    expect(tokenOf(plain as Answer)).toBe(tokenOf(second as Answer));
  });
});

describe('fleet: leases and accounts', () => {
  it("takes over a crashed holder's lease once it expires", async () => {
    // Prepare
    fleet = await startFleet({ containers: 1 });
    const keys = deriveStoreKeys(fleet.storeKey);
    const account = accountKey(keys.hashKey, parseCredentials(FLEET_SECRET, 'secret'));
    const store = createDynamoDbTokenStore({
      client: fleet.engine.newClient(),
      tableName: TEST_TABLE,
      encryptionKey: keys.encryptionKey,
    });
    const [device] = devicesOf(1);
    const dead = await store.lease(
      account,
      [deviceId(device as never)],
      { holder: 'dead-holder', leaseMs: 400, mode: 'miss', minValidUntil: Date.now() },
      { now: Date.now() },
    );
    const started = Date.now();

    // Act
    const answer = await fleet.containers[0]?.invoke([device as never]);

    // Assess
    expect(dead.granted.size).toBe(1);
    expect(answer?.tokens).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(fleet.logins()).toBe(1);
    expect(fleet.containers[0]?.count('LeaseTakeovers')).toBe(1);
  });

  it('fails when the leased login fails, at once, while another device still waits on a lease', async () => {
    // Prepare
    fleet = await startFleet({ containers: 1, env: { UPSTREAM_MAX_RETRIES: '0' } });
    const keys = deriveStoreKeys(fleet.storeKey);
    const account = accountKey(keys.hashKey, parseCredentials(FLEET_SECRET, 'secret'));
    const store = createDynamoDbTokenStore({
      client: fleet.engine.newClient(),
      tableName: TEST_TABLE,
      encryptionKey: keys.encryptionKey,
    });
    const [held, mine] = devicesOf(2);
    await store.lease(
      account,
      [deviceId(held as never)],
      { holder: 'slow-holder', leaseMs: 5000, mode: 'miss', minValidUntil: Date.now() },
      { now: Date.now() },
    );
    fleet.sim.setFault({ kind: 'status-500' });
    const started = Date.now();

    // Act
    const error = await fleet.containers[0]?.invoke([held as never, mine as never]).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(error).toMatchObject({ name: 'UpstreamError' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("never serves the previous account's tokens after the secret names another account", async () => {
    // Prepare
    const { clock, ...stepped } = steppedClock();
    fleet = await startFleet({ containers: 1, ...stepped });
    const [device] = devicesOf(1);
    const old = await fleet.containers[0]?.invoke([device as never]);
    clock.step();
    const other = { ...DEV_ACCOUNT, userName: 'other-user' };
    fleet.sim.setAccount(other);
    const config = loadConfig(
      {
        SECRET_ID: 'broker/dev',
        UPSTREAM_URL: fleet.sim.url,
        TOKEN_TABLE: TEST_TABLE,
        TOKEN_STORE_KEY_SECRET_ID: 'broker/store-key',
      },
      { allowLoopbackHttp: true },
    );
    const { handler } = createRuntime(config, {
      metrics: NO_METRICS,
      secretSource: fakeSecretSource(JSON.stringify(other)),
      tokenStore: { client: fleet.engine.newClient(), keySource: fakeSecretSource(fleet.storeKey) },
      logger: captureLogger(),
      now: () => clock.now,
    });

    // Act
    const fresh = (await handler({ devices: [device] }, lambdaContext())) as Answer;

    // Assess
    expect(fleet.logins()).toBe(2);
    expect(tokenOf(fresh)).toBeDefined();
    expect(tokenOf(fresh)).not.toBe(tokenOf(old as Answer));
  });
});

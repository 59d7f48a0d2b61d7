/**
 * A fleet in one test process: K runtimes ("containers"), each with its own
 * L1, breaker and in-flight logins, sharing one real dynalite table and one
 * upstream simulator. Each container serves one request at a time, as a
 * Lambda container does, concurrently with the others.
 */
import { randomBytes } from 'node:crypto';
import {
  DEV_ACCOUNT,
  type SimulatorAccount,
  type SimulatorOptions,
  startUpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import { type DeviceKey, deviceId } from '../../functions/token-broker/device.ts';
import type { HttpResponse } from '../../functions/token-broker/handler.ts';
import type { Metrics } from '../../functions/token-broker/metrics.ts';
import { createRuntime, type RuntimeOverrides } from '../../functions/token-broker/runtime.ts';
import { createDynamoDbClient } from '../../functions/token-broker/store/dynamodb-client.ts';
import { type Dynalite, sdkConfigFor, startDynalite, TEST_TABLE } from './dynalite.ts';
import { httpApiEvent, lambdaContext } from './events.ts';
import { captureLogger, fakeSecretSource } from './fakes.ts';

/** A metrics port that counts every metric by name, and by name and code. */
export const countingMetrics = () => {
  const counts = new Map<string, number>();
  const last = new Map<string, number>();
  const metrics: Metrics = {
    add(metric, value = 1, code) {
      for (const key of code === undefined
        ? [metric.name]
        : [metric.name, `${metric.name}:${code}`]) {
        counts.set(key, (counts.get(key) ?? 0) + value);
        last.set(key, value);
      }
    },
    flush() {},
  };
  return {
    metrics,
    count: (name: string) => counts.get(name) ?? 0,
    last: (name: string) => last.get(name),
  };
};

/** What one request answered. */
export interface Answer {
  readonly tokens: Array<{ productKey: string; deviceName: string; visualToken: string }>;
  readonly failures: unknown[];
  readonly statusCode?: number;
  readonly errorType?: string;
}

/** An engine-shaped stand-in for an endpoint that is not dynalite (a fault server). */
export const endpointEngine = (endpoint: string): Dynalite => {
  const newClient = () =>
    createDynamoDbClient({ connectionTimeout: 300, requestTimeout: 500 }, sdkConfigFor(endpoint));
  return { endpoint, client: newClient(), requests: new Map(), newClient, close: async () => {} };
};

/** Options of {@link startFleet}. */
export interface FleetOptions {
  /** How many containers. */
  readonly containers: number;
  /** Extra environment (settings) of every container. */
  readonly env?: Record<string, string>;
  /** Replaces parts of every container's wiring. */
  readonly overrides?: Partial<RuntimeOverrides>;
  /** Options of the shared upstream simulator. */
  readonly simulator?: SimulatorOptions;
  /** An engine to share instead of a new dynalite (closed by the caller). */
  readonly engine?: Dynalite;
  /** The store key secret string. */
  readonly storeKey?: string;
  /** The developer account (secret and simulator). */
  readonly account?: SimulatorAccount;
}

/** The developer secret every container reads. */
export const FLEET_SECRET = JSON.stringify(DEV_ACCOUNT);

/** Starts the engine, the simulator and the containers. */
export async function startFleet(options: FleetOptions) {
  const ownEngine = options.engine === undefined;
  const engine = options.engine ?? (await startDynalite());
  const account = options.account ?? DEV_ACCOUNT;
  const sim = await startUpstreamSimulator({ account, ...options.simulator });
  const storeKey = options.storeKey ?? randomBytes(32).toString('base64url');
  const config = loadConfig(
    {
      SECRET_ID: 'broker/dev',
      UPSTREAM_URL: sim.url,
      TOKEN_TABLE: TEST_TABLE,
      TOKEN_STORE_KEY_SECRET_ID: 'broker/store-key',
      ...options.env,
    },
    { allowLoopbackHttp: true },
  );
  const containers = Array.from({ length: options.containers }, () => {
    const logger = captureLogger();
    const counting = countingMetrics();
    const runtime = createRuntime(config, {
      secretSource: fakeSecretSource(JSON.stringify(account)),
      tokenStore: { client: engine.newClient(), keySource: fakeSecretSource(storeKey) },
      logger,
      metrics: counting.metrics,
      ...options.overrides,
    });
    // One request at a time, as a Lambda container serves them.
    let queue: Promise<unknown> = Promise.resolve();
    const invoke = (devices: readonly DeviceKey[], body: { refresh?: boolean } = {}) => {
      const answer = queue.then(
        () => runtime.handler({ devices, ...body }, lambdaContext()) as Promise<Answer>,
      );
      queue = answer.catch(() => undefined);
      return answer;
    };
    /** The same over HTTP (problem answers come back as responses, not throws). */
    const http = (devices: readonly DeviceKey[], body: { refresh?: boolean } = {}) => {
      const answer = queue.then(
        () =>
          runtime.handler(
            httpApiEvent({ body: { devices, ...body } }),
            lambdaContext(),
          ) as Promise<HttpResponse>,
      );
      queue = answer.catch(() => undefined);
      return answer;
    };
    return { runtime, logger, ...counting, invoke, http };
  });
  return {
    engine,
    sim,
    containers,
    storeKey,
    /** Logins the upstream received. */
    logins: () => sim.logins.length,
    /** Devices logged in for, counted per device id. */
    loginsFor: (device: DeviceKey) =>
      sim.logins.filter((l) => l.devices.includes(deviceId(device))).length,
    async close() {
      await sim.close();
      if (ownEngine) await engine.close();
    },
  };
}

/** `n` devices of one product. */
export const devicesOf = (n: number, prefix = 'cam'): DeviceKey[] =>
  Array.from({ length: n }, (_, i) => ({ productKey: 'pkFleet', deviceName: `${prefix}${i}` }));

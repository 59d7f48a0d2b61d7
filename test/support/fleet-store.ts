/**
 * What the fleet's store-fault tests share (issue 20): a fleet of real
 * `npm start` processes whose store traffic goes through a fault-injecting
 * proxy, a caller that times its answers, and direct access to the table
 * behind the proxy, to tamper with items as a table writer would.
 */
import {
  type AttributeValue,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import {
  FLEET_TABLE,
  type Fleet,
  type FleetOptions,
  startFleet,
} from '../../functions/local/fleet.ts';
import { sdkConfigFor } from './dynalite.ts';
import { type DynamoDbFaultProxy, startDynamoDbFaultProxy } from './dynamodb-fault-proxy.ts';

/** A fleet and the proxy in front of its store. */
export interface FaultyFleet {
  readonly fleet: Fleet;
  readonly proxy: DynamoDbFaultProxy;
  /** A client of the engine itself, bypassing the proxy. */
  readonly table: DynamoDBClient;
  /** Stops the fleet, then the proxy. */
  close(): Promise<void>;
}

/** Starts `containers` processes whose DynamoDB endpoint is a fault proxy. */
export async function startFaultyFleet(
  containers: number,
  options: Omit<FleetOptions, 'containers' | 'storeEndpoint'> = {},
): Promise<FaultyFleet> {
  let proxy: DynamoDbFaultProxy | undefined;
  const fleet = await startFleet({
    port: 0,
    ...options,
    containers,
    storeEndpoint: async (engine) => {
      proxy = await startDynamoDbFaultProxy(engine);
      return proxy.endpoint;
    },
  });
  const started = proxy as DynamoDbFaultProxy;
  const table = new DynamoDBClient(sdkConfigFor(fleet.dynalite?.endpoint ?? ''));
  return {
    fleet,
    proxy: started,
    table,
    async close() {
      table.destroy();
      await fleet.close();
      await started.close();
    },
  };
}

/** A describe block's faulty fleet, read as `suite.f` once its tests run. */
export interface FaultySuite {
  readonly f: FaultyFleet;
}

/**
 * A faulty fleet for the describe block that calls this: started before its
 * tests, every fault rule dropped after each, and stopped after all.
 * @example
 * const suite = faultyFleetPerSuite(() => startFaultyFleet(2));
 * it('…', async () => suite.f.proxy.fault('BatchGetItem', 'hang'));
 */
export function faultyFleetPerSuite(start: () => Promise<FaultyFleet>, timeoutMs = 60_000) {
  let started: FaultyFleet | undefined;
  beforeAll(async () => {
    started = await start();
  }, timeoutMs);
  afterEach(() => started?.proxy.heal());
  afterAll(async () => {
    await started?.close();
  }, timeoutMs);
  return {
    get f() {
      if (started === undefined) throw new Error('the faulty fleet has not started');
      return started;
    },
  } satisfies FaultySuite;
}

/** What one token request answered, and how long it took. */
export interface Asked {
  readonly status: number;
  /** Tokens by device name. */
  readonly tokens: ReadonlyMap<string, string>;
  readonly retryAfter: string | null;
  /** From sending to the whole body read, ms. */
  readonly ms: number;
}

/** The product key of every device these tests ask for. */
export const PRODUCT_KEY = 'pkFaults';

/** Asks `url` for `devices` as `sub` (default `alice`); a dropped connection is status 0. */
export async function ask(url: string, devices: readonly string[], sub = 'alice'): Promise<Asked> {
  const bearer = await issueDevToken({ sub });
  const started = performance.now();
  try {
    const response = await fetch(`${url}/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({
        devices: devices.map((deviceName) => ({ productKey: PRODUCT_KEY, deviceName })),
      }),
      signal: AbortSignal.timeout(20_000),
    });
    const body = (await response.json()) as {
      tokens?: { deviceName: string; visualToken: string }[];
    };
    return {
      status: response.status,
      tokens: new Map((body.tokens ?? []).map((t) => [t.deviceName, t.visualToken])),
      retryAfter: response.headers.get('retry-after'),
      ms: performance.now() - started,
    };
  } catch {
    return { status: 0, tokens: new Map(), retryAfter: null, ms: performance.now() - started };
  }
}

/** `n` device names. */
export const names = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Device logins the fleet's simulator received, repeats counted. */
export const deviceLogins = (fleet: Fleet) =>
  fleet.simulator.logins.reduce((n, l) => n + l.devices.length, 0);

/** Every item of the fleet's table, read from the engine itself. */
export async function tableItems(table: DynamoDBClient): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await table.send(
      new ScanCommand({ TableName: FLEET_TABLE, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** The token items of `devices` (`t#<account>#pkFaults/<name>`), by device name. */
export async function tokenItems(table: DynamoDBClient, devices: readonly string[]) {
  const wanted = new Set(devices.map((d) => `${PRODUCT_KEY}/${d}`));
  const found = new Map<string, Record<string, AttributeValue>>();
  for (const item of await tableItems(table)) {
    const pk = item.pk?.S ?? '';
    const device = pk.split('#').slice(2).join('#');
    if (pk.startsWith('t#') && wanted.has(device)) found.set(device.split('/')[1] ?? '', item);
  }
  return found;
}

/** Writes `item` whole, as a table writer would, past the broker's conditions. */
export const putItem = (table: DynamoDBClient, item: Record<string, AttributeValue>) =>
  table.send(new PutItemCommand({ TableName: FLEET_TABLE, Item: item }));

/** The account hash in a token item's key. */
export const accountOf = (item: Record<string, AttributeValue>) =>
  (item.pk?.S ?? '').split('#')[1] ?? '';

/** Resolves once `check` holds, polling; rejects after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

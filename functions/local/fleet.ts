/**
 * `npm run fleet`'s engine: an embedded dynalite, one shared upstream
 * simulator, N local "containers" (each a separate `node
 * functions/local/server.ts` process) and one front port that gives each
 * container one request at a time. Every process it starts, it stops.
 */
import { ENV } from '../token-broker/config.ts';
import {
  accountsSummary,
  type FleetAccountLogins,
  fleetAccountsEnv,
  startFleetAccounts,
} from './fleet-accounts.ts';
import { type FleetContainer, spawnContainer } from './fleet-container.ts';
import { FLEET_STATS_PATH, type Front, startFront } from './fleet-front.ts';
import type { LocalAccounts } from './local-account-set.ts';
import { type LocalDynalite, startLocalDynalite } from './local-dynalite.ts';
import { DYNAMODB_ENDPOINT_ENV, LOCAL_ENV } from './local-settings.ts';
import { startUpstreamSimulator, type UpstreamSimulator } from './upstream-simulator.ts';

export type { FleetAccountLogins, FleetContainer };
export { FLEET_STATS_PATH };

/** Table of the fleet's store. */
export const FLEET_TABLE = 'visual-token-broker-tokens';

/** Table of the fleet's grants directory, one for every container, on the same dynalite. */
export const FLEET_GRANTS_TABLE = 'visual-token-broker-grants';

/** Settings the containers must not inherit: the fleet decides where they point. */
const NOT_INHERITED = [
  ENV.secretId,
  ENV.upstreamUrl,
  ENV.upstreamAccounts,
  ENV.tokenTable,
  ENV.tokenStoreKeySecretId,
  ENV.grantsTable,
  DYNAMODB_ENDPOINT_ENV,
  LOCAL_ENV.port,
  LOCAL_ENV.secretFile,
  LOCAL_ENV.simulatorFault,
  LOCAL_ENV.simulatorGatewayAuth,
  LOCAL_ENV.storeEngine,
  LOCAL_ENV.accounts,
];

/** Options of {@link startFleet}. */
export interface FleetOptions {
  /** Containers. @default 3 */
  readonly containers?: number;
  /** Front port; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** With the fleet token store (TOKEN_TABLE on dynalite); false shows today's behaviour. @default true */
  readonly store?: boolean;
  /** With the grants directory (GRANTS_TABLE on the same dynalite), shared by every container. @default false */
  readonly grants?: boolean;
  /**
   * Accounts beside `default` (the multi-account mode of issue 18): one
   * simulator each, shared by every container, as `LOCAL_ACCOUNTS` names them.
   * @default none: one account
   */
  readonly accounts?: readonly string[];
  /** Latency the simulator adds to every login, ms. @default 0 */
  readonly upstreamLatencyMs?: number;
  /** Extra environment of every container (settings such as TOKEN_STORE_TIMEOUT_MS). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Another upstream for the containers than the fleet's simulator (a test's
   * own loopback server); the simulator still starts, unused.
   * @default the fleet's simulator
   */
  readonly upstreamUrl?: string;
  /**
   * Where the containers reach the store's engine, given dynalite's own
   * endpoint: a test puts a fault-injecting proxy in between. Must be on loopback.
   * @default dynalite's endpoint
   */
  readonly storeEndpoint?: (dynaliteEndpoint: string) => string | Promise<string>;
  /** Called when a container exits while the fleet is not stopping. */
  readonly onContainerExit?: (container: FleetContainer, code: number | null) => void;
}

/** A running fleet. */
export interface Fleet {
  /** The front URL. */
  readonly url: string;
  /** The containers, in start order. */
  readonly containers: readonly FleetContainer[];
  /** The shared upstream of the account `default`. */
  readonly simulator: UpstreamSimulator;
  /** The other accounts and their shared simulators, with {@link FleetOptions.accounts}. */
  readonly accounts: LocalAccounts | undefined;
  /** The engine of the store and the grants directory, when either is on. */
  readonly dynalite: LocalDynalite | undefined;
  /** The grants directory's table, when it is on. */
  readonly grantsTable: string | undefined;
  /** Starts one more container and adds it to the front's pool. */
  addContainer(): Promise<FleetContainer>;
  /** Every container's counters and the simulator's logins. */
  summary(): Promise<FleetSummary>;
  /** Stops the front, every container, the simulator and dynalite. Idempotent. */
  close(): Promise<void>;
}

/** What {@link Fleet.summary} reports. */
export interface FleetSummary {
  /** Per container, its counters by metric key. */
  readonly containers: { readonly name: string; readonly counts: Record<string, number> }[];
  /** Login calls the shared simulator received. */
  readonly upstreamLogins: number;
  /** Devices those logins asked for, repeats counted. */
  readonly upstreamDevices: number;
  /** The same per account, `default` first, with {@link FleetOptions.accounts}; else empty. */
  readonly accounts: readonly FleetAccountLogins[];
}

/** The fleet's parts, as far as they have started: {@link closeFleet} stops whichever have. */
interface FleetParts {
  readonly options: FleetOptions;
  /** This process's environment when the fleet started, less what the fleet decides. */
  readonly inherited: Record<string, string>;
  readonly containers: FleetContainer[];
  simulator?: UpstreamSimulator;
  accounts?: LocalAccounts;
  dynalite?: LocalDynalite;
  /** Where the containers reach dynalite ({@link FleetOptions.storeEndpoint}). */
  storeEndpoint?: string;
  front?: Front;
  /** Containers started so far, for the next one's name. */
  started: number;
  /** Set once closing began: a container exiting then is no news. */
  stopping: boolean;
  closed?: Promise<void>;
}

/** Stops the front, every container, the simulator and dynalite, once. */
function closeFleet(parts: FleetParts): Promise<void> {
  parts.stopping = true;
  parts.closed ??= (async () => {
    await parts.front?.close();
    await Promise.all(parts.containers.map((c) => c.stop()));
    await parts.simulator?.close();
    await parts.accounts?.close();
    await parts.dynalite?.close();
  })();
  return parts.closed;
}

const storeOn = (options: FleetOptions) => options.store ?? true;

/** This process's environment, less what the fleet decides for its containers. */
const inheritedEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !NOT_INHERITED.includes(e[0]),
    ),
  );

/** A container's environment: the inherited one, the options' settings, and where the fleet's parts are. */
function containerEnv(parts: FleetParts) {
  const { options, simulator, dynalite, inherited, storeEndpoint } = parts;
  return {
    ...inherited,
    // As in Lambda: one request at a time leaves nothing to gather.
    [ENV.loginGatherMs]: inherited[ENV.loginGatherMs] ?? '0',
    [ENV.logLevel]: inherited[ENV.logLevel] ?? 'warn',
    ...options.env,
    [LOCAL_ENV.port]: '0',
    [ENV.upstreamUrl]: options.upstreamUrl ?? simulator?.url ?? '',
    ...fleetAccountsEnv(parts.accounts),
    ...(dynalite
      ? {
          [DYNAMODB_ENDPOINT_ENV]: storeEndpoint ?? dynalite.endpoint,
          [LOCAL_ENV.storeEngine]: 'the fleet’s embedded dynalite',
        }
      : {}),
    ...(dynalite && storeOn(options) ? { [ENV.tokenTable]: FLEET_TABLE } : {}),
    ...(dynalite && options.grants ? { [ENV.grantsTable]: FLEET_GRANTS_TABLE } : {}),
  };
}

/** Starts the next container (`c1`, `c2`, …) and adds it to `parts.containers`. */
async function startContainer(parts: FleetParts): Promise<FleetContainer> {
  parts.started += 1;
  const env = containerEnv(parts);
  const container = await spawnContainer(`c${parts.started}`, env, (code) => {
    if (!parts.stopping) parts.options.onContainerExit?.(container, code);
  });
  parts.containers.push(container);
  return container;
}

/** Every container's counters and the simulator's logins. */
const summarise = async (parts: FleetParts): Promise<FleetSummary> => ({
  containers: await Promise.all(
    parts.containers.map(async (c) => ({ name: c.name, counts: await c.stats() })),
  ),
  upstreamLogins: parts.simulator?.logins.length ?? 0,
  upstreamDevices: parts.simulator?.logins.reduce((n, l) => n + l.devices.length, 0) ?? 0,
  accounts: accountsSummary(parts.simulator, parts.accounts),
});

/** The front's view of a container: its port, and a counter refresh after each request it served. */
const frontTarget = (container: FleetContainer) => ({
  port: Number(new URL(container.url).port),
  served: () => {
    container.stats().catch(() => {});
  },
});

/** Starts the simulator, dynalite, every container at once, and the front, in that order. */
async function startParts(
  parts: FleetParts,
  count: number,
): Promise<{ front: Front; simulator: UpstreamSimulator }> {
  const { options } = parts;
  const latency = options.upstreamLatencyMs ?? 0;
  const delay = latency > 0 ? { fault: { kind: 'delay', delayMs: latency } as const } : {};
  const simulator = await startUpstreamSimulator(delay);
  parts.simulator = simulator;
  parts.accounts = await startFleetAccounts(options.accounts, delay);
  if (storeOn(options) || options.grants) {
    parts.dynalite = await startLocalDynalite();
    parts.storeEndpoint = await options.storeEndpoint?.(parts.dynalite.endpoint);
  }
  // Started together, as a scaling fleet's are: they race to create the tables and the key.
  const starts = await Promise.allSettled(
    Array.from({ length: count }, () => startContainer(parts)),
  );
  const failed = starts.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  parts.containers.sort((a, b) => Number(a.name.slice(1)) - Number(b.name.slice(1)));
  parts.front = await startFront({
    port: options.port ?? 3000,
    targets: parts.containers.map(frontTarget),
    stats: () => summarise(parts),
  });
  return { front: parts.front, simulator };
}

/** Starts the fleet. On any failure, stops what it had started and throws. */
export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const count = options.containers ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new Error(`containers must be a whole number from 1 to 64, got ${count}`);
  }
  const parts: FleetParts = {
    options,
    inherited: inheritedEnv(),
    containers: [],
    started: 0,
    stopping: false,
  };
  let started: { front: Front; simulator: UpstreamSimulator };
  try {
    started = await startParts(parts, count);
  } catch (error) {
    await closeFleet(parts);
    throw error;
  }
  const { front, simulator } = started;
  return {
    url: front.url,
    containers: parts.containers,
    simulator,
    accounts: parts.accounts,
    dynalite: parts.dynalite,
    grantsTable: options.grants ? FLEET_GRANTS_TABLE : undefined,
    addContainer: async () => {
      const container = await startContainer(parts);
      front.add(frontTarget(container));
      return container;
    },
    summary: () => summarise(parts),
    close: () => closeFleet(parts),
  };
}

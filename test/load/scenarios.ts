/**
 * Load and memory scenarios, shared by the CI-size tests (`load.test.ts`)
 * and the longer soak (`npm run soak`). Loopback only, bounded in count.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import autocannon from 'autocannon';
import { createDevVerifier, issueDevToken } from '../../functions/local/dev-issuer.ts';
import { startLocalServer } from '../../functions/local/server.ts';
import { DEV_ACCOUNT, startUpstreamSimulator } from '../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import type { HttpResponse } from '../../functions/token-broker/handler.ts';
import { createLogger } from '../../functions/token-broker/log.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../functions/token-broker/runtime.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';

const silent = createLogger({ level: 'error', write: () => {} });

/** Options of {@link cacheHitLoad}. */
export interface CacheHitLoadOptions {
  /** Requests in all. */
  readonly requests: number;
  /** Concurrent connections. */
  readonly connections: number;
  /** Devices named in every request (the same ones each time). */
  readonly devicesPerRequest: number;
}

/** What {@link cacheHitLoad} measured. */
export interface CacheHitLoadResult {
  readonly requests: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Upstream logins per device, most of any device. */
  readonly maxLoginsPerDevice: number;
  /** Devices that were logged in at all. */
  readonly devicesLoggedIn: number;
  readonly requestsPerSecond: number;
  readonly latencyP99Ms: number;
}

/**
 * Drives `npm start`'s server (in this process, with its built-in simulator)
 * with autocannon: the same devices in every request, so all but the first
 * wave are cache hits.
 */
export async function cacheHitLoad(options: CacheHitLoadOptions): Promise<CacheHitLoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'vtb-load-'));
  const keyFile = pathToFileURL(join(dir, 'issuer-key.json'));
  await createDevVerifier(keyFile);
  const server = await startLocalServer({
    env: {},
    port: 0,
    keyFile,
    logger: silent,
    metrics: NO_METRICS,
  });
  try {
    const token = await issueDevToken({ keyFile });
    const devices = Array.from({ length: options.devicesPerRequest }, (_, i) => ({
      productKey: 'pkLoad',
      deviceName: `cam${i}`,
    }));
    const result = await autocannon({
      url: `${server.url}/tokens`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ devices }),
      connections: options.connections,
      amount: options.requests,
      timeout: 10,
    });
    const perDevice = new Map<string, number>();
    for (const login of server.simulator?.logins ?? []) {
      for (const d of login.devices) perDevice.set(d, (perDevice.get(d) ?? 0) + 1);
    }
    return {
      requests: result.requests.total,
      ok: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      maxLoginsPerDevice: Math.max(0, ...perDevice.values()),
      devicesLoggedIn: perDevice.size,
      requestsPerSecond: Math.round(result.requests.average),
      latencyP99Ms: result.latency.p99,
    };
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Options of {@link distinctDevicesLoad}. */
export interface DistinctDevicesOptions {
  /** Distinct devices in all, each asked for once. */
  readonly devices: number;
  /** Devices per request (also the upstream batch size). */
  readonly perRequest: number;
  /** `TOKEN_CACHE_MAX_ENTRIES`. */
  readonly maxEntries: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /**
   * Parts the run is split into, with a full GC and a memory reading after
   * each: a bounded cache shows as a plateau once it is full.
   * @default 2
   */
  readonly phases?: number;
}

/** What {@link distinctDevicesLoad} measured. */
export interface DistinctDevicesResult {
  readonly requests: number;
  readonly tokensIssued: number;
  readonly upstreamLogins: number;
  /** Entries in the token cache at the end. */
  readonly cacheSize: number;
  /** Heap in use after a full GC, before the run, in MiB. */
  readonly heapBeforeMiB: number;
  /** Heap in use after a full GC at the end of each phase, in MiB. */
  readonly heapAfterPhaseMiB: number[];
  /** Resident set size before the run, in MiB. */
  readonly rssBeforeMiB: number;
  /** Resident set size at the end of each phase, in MiB. */
  readonly rssAfterPhaseMiB: number[];
}

let gc: (() => void) | undefined;
/** A full garbage collection, so heap figures compare live objects only. */
function collect() {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * Many distinct devices through the real runtime and its cache, in this
 * process, through the handler (payload 2.0 events) rather than HTTP, which
 * keeps 100,000 devices within seconds; the upstream is the loopback simulator.
 */
export async function distinctDevicesLoad(
  options: DistinctDevicesOptions,
): Promise<DistinctDevicesResult> {
  const sim = await startUpstreamSimulator({ account: DEV_ACCOUNT });
  try {
    const config = loadConfig(
      {
        SECRET_ID: 'load',
        UPSTREAM_URL: sim.url,
        TOKEN_CACHE_MAX_ENTRIES: String(options.maxEntries),
        UPSTREAM_BATCH_SIZE: String(options.perRequest),
        MAX_DEVICES_PER_REQUEST: String(options.perRequest),
        UPSTREAM_MAX_CONCURRENT_LOGINS: String(options.concurrency),
      },
      { allowLoopbackHttp: true },
    );
    const { handler, cache } = createRuntime(config, {
      secretSource: { name: 'load', read: async () => JSON.stringify(DEV_ACCOUNT) },
      logger: silent,
      metrics: NO_METRICS,
    });
    const requests = Math.ceil(options.devices / options.perRequest);
    const phases = options.phases ?? 2;
    collect();
    const before = process.memoryUsage();
    const heapAfterPhaseMiB: number[] = [];
    const rssAfterPhaseMiB: number[] = [];
    let next = 0;
    let tokensIssued = 0;
    const worker = async (end: number) => {
      while (next < end) {
        const r = next;
        next += 1;
        const first = r * options.perRequest;
        const count = Math.min(options.perRequest, options.devices - first);
        const devices = Array.from({ length: count }, (_, i) => ({
          productKey: 'pkMem',
          deviceName: `cam${first + i}`,
        }));
        const response = (await handler(
          httpApiEvent({ body: { devices }, requestId: `mem-${r}` }),
          lambdaContext(),
        )) as HttpResponse;
        if (response.statusCode !== 200) {
          throw new Error(`request ${r} answered ${response.statusCode}: ${response.body}`);
        }
        tokensIssued += (JSON.parse(response.body) as { tokens: unknown[] }).tokens.length;
        // The simulator keeps what it saw, for other tests; here that would be the leak.
        sim.logins.length = 0;
        sim.issued.length = 0;
      }
    };
    for (let phase = 1; phase <= phases; phase += 1) {
      const end = Math.ceil((requests * phase) / phases);
      await Promise.all(Array.from({ length: options.concurrency }, () => worker(end)));
      collect();
      const now = process.memoryUsage();
      heapAfterPhaseMiB.push(mib(now.heapUsed));
      rssAfterPhaseMiB.push(mib(now.rss));
    }
    return {
      requests,
      tokensIssued,
      upstreamLogins: sim.requests(),
      cacheSize: cache.size,
      heapBeforeMiB: mib(before.heapUsed),
      heapAfterPhaseMiB,
      rssBeforeMiB: mib(before.rss),
      rssAfterPhaseMiB,
    };
  } finally {
    await sim.close();
  }
}

/**
 * The wide-burst scenario, shared by its test and `npm run bench`: every
 * container is asked, at the same moment, for the same `devices` new
 * devices in one request.
 */
import type { Fleet } from '../../functions/local/fleet.ts';

/** Options of {@link wideBurst}. */
export interface BurstOptions {
  /** The running fleet (its simulator counts the logins). */
  readonly fleet: Fleet;
  /** One URL per request: a container's own URL. */
  readonly urls: readonly string[];
  /** Devices per request and product key, the same in every request. */
  readonly devices: number;
  /**
   * The product keys asked for, `devices` of each: one per account to burst
   * several accounts at once (issue 18).
   * @default ['pkBurst']
   */
  readonly productKeys?: readonly string[];
  /** `Bearer …` granting `pkBurst/*` or more. */
  readonly bearer: string;
  /** Device name prefix, new per scenario so that every device is new. */
  readonly prefix: string;
  /** Per-request timeout, ms. @default 30000 */
  readonly timeoutMs?: number;
}

/** What a burst came to. */
export interface BurstResult {
  /** HTTP status per request, in `urls` order. */
  readonly statuses: readonly number[];
  /** Device logins (devices named in upstream login calls, repeats counted) during the burst, at every account's simulator. */
  readonly deviceLogins: number;
  /** Distinct tokens handed out per device, by `productKey/deviceName`. */
  readonly tokensPerDevice: ReadonlyMap<string, ReadonlySet<string>>;
  /** Each request's latency, ms, in `urls` order. */
  readonly latenciesMs: readonly number[];
}

const PRODUCT_KEY = 'pkBurst';

/** Runs the burst once. */
export async function wideBurst(options: BurstOptions): Promise<BurstResult> {
  const { fleet, urls, bearer } = options;
  const names = Array.from({ length: options.devices }, (_, i) => `${options.prefix}${i}`);
  const body = JSON.stringify({
    devices: (options.productKeys ?? [PRODUCT_KEY]).flatMap((productKey) =>
      names.map((deviceName) => ({ productKey, deviceName })),
    ),
  });
  const before = deviceLogins(fleet);
  const answers = await Promise.all(
    urls.map(async (url) => {
      const started = performance.now();
      const response = await fetch(`${url}/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: bearer },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      const json = (await response.json()) as {
        tokens?: { productKey: string; deviceName: string; visualToken: string }[];
      };
      return {
        status: response.status,
        tokens: json.tokens ?? [],
        ms: performance.now() - started,
      };
    }),
  );
  const tokensPerDevice = new Map<string, Set<string>>();
  for (const { tokens } of answers) {
    for (const { productKey, deviceName, visualToken } of tokens) {
      const key = `${productKey}/${deviceName}`;
      const seen = tokensPerDevice.get(key) ?? new Set<string>();
      seen.add(visualToken);
      tokensPerDevice.set(key, seen);
    }
  }
  return {
    statuses: answers.map((a) => a.status),
    deviceLogins: deviceLogins(fleet) - before,
    tokensPerDevice,
    latenciesMs: answers.map((a) => a.ms),
  };
}

const deviceLogins = (fleet: Fleet) =>
  [fleet.simulator, ...(fleet.accounts?.accounts.map((a) => a.simulator) ?? [])].reduce(
    (n, simulator) => n + (simulator?.logins.reduce((m, l) => m + l.devices.length, 0) ?? 0),
    0,
  );

/**
 * A whole fleet tier (fleet-tier.ts) over fakes: the in-memory store, a
 * wrapped login that answers a token per device, a fixed clock, an instant
 * sleep and a breaker whose opening the test fires by hand.
 */
import { type DeviceKey, deviceId } from '../../functions/token-broker/device.ts';
import type { FleetSettings } from '../../functions/token-broker/fleet/fleet-run.ts';
import { createFleetTier } from '../../functions/token-broker/fleet/fleet-tier.ts';
import type { TokenStore } from '../../functions/token-broker/store/token-store.ts';
import {
  emptyStats,
  type Outcome,
  type SourceRequest,
  type TokenSource,
} from '../../functions/token-broker/token-source.ts';
import type { UpstreamAccount } from '../../functions/token-broker/upstream/upstream-account.ts';
import { fakeTokenStore } from './fake-token-store.ts';
import { captureLogger } from './fakes.ts';
import { ACCOUNT, heldToken, KEYS, recordingMetrics, SETTINGS, T0 } from './fleet-unit.ts';

/** Options of {@link tier}. */
export interface TierOptions {
  readonly store?: Partial<TokenStore>;
  readonly settings?: Partial<FleetSettings>;
  readonly keys?: () => Promise<typeof KEYS>;
  /** Runs inside each login, before it answers. */
  readonly duringLogin?: () => void;
}

/** A tier over fakes; `opened(until)` fires the breaker's event. */
export function tier(options: TierOptions = {}) {
  const fake = fakeTokenStore(options.store);
  const recorded = recordingMetrics();
  const logger = captureLogger();
  const listeners: Array<(until: number) => void> = [];
  const logins: string[][] = [];
  const storesMade: unknown[] = [];
  const inner: TokenSource = {
    resolve(list) {
      logins.push(list.map(deviceId));
      options.duringLogin?.();
      return new Map(
        list.map((d): [string, Promise<Outcome>] => [
          deviceId(d),
          Promise.resolve({ token: heldToken(d, T0), account: ACCOUNT }),
        ]),
      );
    },
  };
  const account = {
    name: 'default',
    breaker: { onOpen: (listener: (until: number) => void) => void listeners.push(listener) },
  } as unknown as UpstreamAccount;
  const source = createFleetTier({
    inner,
    account,
    storeFor: (keys) => {
      storesMade.push(keys);
      return fake.store;
    },
    keys: { get: options.keys ?? (async () => KEYS) },
    settings: { ...SETTINGS, ...options.settings },
    now: () => T0,
    metrics: recorded.metrics,
    logger,
    random: () => 0.5,
    sleep: async () => {},
  });
  const request = (over: Partial<SourceRequest> = {}): SourceRequest => ({
    refresh: false,
    stats: emptyStats(),
    account: ACCOUNT,
    ...over,
  });
  /** Each device's outcome as text, once all settled. */
  const ask = async (list: readonly DeviceKey[], over: Partial<SourceRequest> = {}) => {
    const pending = source.resolve(list, request(over));
    const out: Record<string, string> = {};
    for (const [id, p] of pending) {
      out[id] = await p.then(
        (o) => ('token' in o ? 'token' : `failure:${o.failure.code}`),
        (e: { code?: string }) => `error:${e.code}`,
      );
    }
    return out;
  };
  return {
    ...fake,
    ...recorded,
    logger,
    logins,
    storesMade,
    source,
    request,
    ask,
    opened: (until: number) => {
      for (const l of listeners) l(until);
    },
  };
}

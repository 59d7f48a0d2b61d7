/**
 * An in-memory TokenStore port for unit tests of the fleet tier: every call
 * is recorded with its arguments, and each method can be replaced to script
 * a fault, a refusal or a slow answer. No engine, no network.
 */
import type { StoreSnapshot, TokenStore } from '../../functions/token-broker/store/token-store.ts';

/** One recorded call: the method and its arguments. */
export interface StoreCall {
  readonly op: keyof TokenStore;
  readonly args: readonly unknown[];
}

/** An empty snapshot, with parts of it replaced. */
export const snapshotOf = (over: Partial<StoreSnapshot> = {}): StoreSnapshot => ({
  tokens: new Map(),
  leased: new Map(),
  unreadable: new Map(),
  ...over,
});

/**
 * A store that by default finds nothing, grants every lease, writes every
 * entry and counts logins from 0; `script` replaces any method.
 */
export function fakeTokenStore(script: Partial<TokenStore> = {}) {
  const calls: StoreCall[] = [];
  let logins = 0;
  const defaults: TokenStore = {
    read: async () => snapshotOf(),
    lease: async (_account, ids) => ({
      granted: new Set(ids),
      refused: new Set(),
      unknown: new Set(),
    }),
    write: async (_account, entries) => ({ written: new Set(entries.map((e) => e.deviceId)) }),
    release: async () => {},
    openCircuit: async () => {},
    countLogins: async (_account, n) => {
      logins += n;
      return logins;
    },
    reserveLogins: async () => true,
  };
  const impl = { ...defaults, ...script };
  const store = Object.fromEntries(
    (Object.keys(defaults) as (keyof TokenStore)[]).map((op) => [
      op,
      (...args: unknown[]) => {
        calls.push({ op, args });
        return (impl[op] as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  ) as unknown as TokenStore;
  return {
    store,
    calls,
    /** The recorded calls of one method. */
    callsOf: (op: keyof TokenStore) => calls.filter((c) => c.op === op).map((c) => c.args),
  };
}

/**
 * Two upstream accounts, each with its own loopback simulator (its own
 * "data center") and its own secret naming that simulator as its
 * `upstreamUrl`: `cn` in AppCode mode for product `pkCn`, `eu` in gateway
 * signature mode for product `pkEu`; `default` (SECRET_ID) is routed nowhere. Each simulator accepts only its own
 * account, so a login signed with the other's credentials is refused.
 */
import {
  type SimulatorAccount,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import type { Metrics } from '../../functions/token-broker/metrics.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { createRuntime, type RuntimeOverrides } from '../../functions/token-broker/runtime.ts';
import { lambdaContext } from './events.ts';
import { captureLogger, fakeSecretSource } from './fakes.ts';

/** The `cn` account: AppCode mode, planted values for leak checks. */
export const CN: SimulatorAccount = {
  userName: 'cn-user',
  password: 'cn-password-canary-41ab',
  appCode: 'cn-appcode-canary-93fe',
};

/** The `eu` account: gateway signature mode, planted values for leak checks. */
export const EU: SimulatorAccount = {
  userName: 'eu-user',
  password: 'eu-password-canary-7c20',
  appKey: 'eu-app-key-canary',
  appSecret: 'eu-app-secret-canary-5d11',
};

/** A running pair of accounts and the broker over both. */
export interface TwoAccounts {
  readonly cn: UpstreamSimulator;
  readonly eu: UpstreamSimulator;
  /** Each account's secret source, counting its reads. */
  readonly secrets: {
    readonly cn: ReturnType<typeof fakeSecretSource>;
    readonly eu: ReturnType<typeof fakeSecretSource>;
    readonly unrouted: ReturnType<typeof fakeSecretSource>;
  };
  /** Sets the secret string of an account (a rotation). */
  setSecret(name: 'cn' | 'eu', account: SimulatorAccount): void;
  readonly logger: ReturnType<typeof captureLogger>;
  /** One direct invocation for `devices`. */
  invoke(devices: readonly object[]): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** The secret JSON of `account`, naming `url` as its gateway. */
export const secretOf = (account: SimulatorAccount, url: string): string =>
  JSON.stringify({ ...account, upstreamUrl: url });

/**
 * Starts both simulators and a runtime routing `pkCn` to `cn` and `pkEu`
 * to `eu` (or `routes`); `UPSTREAM_URL` points nowhere that answers, so a
 * login that ignored its secret's `upstreamUrl` would fail.
 */
export async function startTwoAccounts(
  options: {
    readonly routes?: string;
    readonly env?: Readonly<Record<string, string>>;
    readonly metrics?: Metrics;
    readonly overrides?: Partial<RuntimeOverrides>;
  } = {},
): Promise<TwoAccounts> {
  const cn = await startUpstreamSimulator({ account: CN });
  const eu = await startUpstreamSimulator({ account: EU });
  const text = { cn: secretOf(CN, cn.url), eu: secretOf(EU, eu.url) };
  const secrets = {
    cn: fakeSecretSource(() => Promise.resolve(text.cn)),
    eu: fakeSecretSource(() => Promise.resolve(text.eu)),
    unrouted: fakeSecretSource('{}'),
  };
  const config = loadConfig(
    {
      SECRET_ID: 'broker/default',
      UPSTREAM_URL: 'http://127.0.0.1:9',
      UPSTREAM_ACCOUNTS: 'cn=broker/cn,eu=broker/eu',
      ACCOUNT_ROUTES: options.routes ?? 'pkCn=cn,pkEu=eu',
      ...options.env,
    },
    { allowLoopbackHttp: true },
  );
  const logger = captureLogger();
  const { handler } = createRuntime(config, {
    metrics: options.metrics ?? NO_METRICS,
    // The account `default` is routed nowhere, so its secret must never be read.
    secretSource: secrets.unrouted,
    secretSourceOf: (id) => {
      if (id === 'broker/cn') return secrets.cn;
      if (id === 'broker/eu') return secrets.eu;
      throw new Error(`unexpected secret ${id}`);
    },
    allowLoopbackHttp: true,
    logger,
    sleep: async () => {},
    ...options.overrides,
  });
  return {
    cn,
    eu,
    secrets,
    setSecret(name, account) {
      text[name] = secretOf(account, name === 'cn' ? cn.url : eu.url);
    },
    logger,
    invoke: async (devices) =>
      (await handler({ devices }, lambdaContext())) as Record<string, unknown>,
    async close() {
      await Promise.all([cn.close(), eu.close()]);
    },
  };
}

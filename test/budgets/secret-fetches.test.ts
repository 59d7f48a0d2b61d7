/**
 * Secrets Manager budgets (issue 7), as call counts through the real SDK
 * against a loopback Secrets Manager endpoint, and the real login client
 * against the loopback upstream simulator: deterministic, so tests.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, test } from 'vitest';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../functions/token-broker/runtime.ts';
import { createSecretsManagerReader } from '../../functions/token-broker/secrets-manager-reader.ts';
import { secretsManagerSource } from '../../functions/token-broker/secrets-manager-source.ts';
import { type Dynalite, sdkConfigFor, startDynalite, TEST_TABLE } from '../support/dynalite.ts';
import { lambdaContext } from '../support/events.ts';
import { captureLogger } from '../support/fakes.ts';
import {
  type FakeSecretsManager,
  startFakeSecretsManager,
} from '../support/secrets-manager-server.ts';

const SECRET = JSON.stringify({
  userName: 'dev-user',
  password: 'dev-password',
  appCode: 'dev-appcode',
});
const T0 = Date.UTC(2026, 10, 22);

let sm: FakeSecretsManager | undefined;
let sim: UpstreamSimulator | undefined;
let engine: Dynalite | undefined;

afterEach(async () => {
  await sm?.close();
  await sim?.close();
  await engine?.close();
  sm = undefined;
  sim = undefined;
  engine = undefined;
});

async function setup(env: Record<string, string> = {}, now?: () => number) {
  sm = await startFakeSecretsManager(SECRET);
  sim = await startUpstreamSimulator(now ? { now } : {});
  const config = loadConfig(
    { SECRET_ID: 'broker/dev', UPSTREAM_URL: sim.url, ...env },
    { allowLoopbackHttp: true },
  );
  const client = new SecretsManagerClient({ ...sdkConfigFor(sm.url) });
  const { handler } = createRuntime(config, {
    metrics: NO_METRICS,
    secretSource: secretsManagerSource(client, config.secretId),
    logger: captureLogger(),
    ...(now ? { now } : {}),
  });
  const invoke = (deviceName: string) =>
    handler({ devices: [{ productKey: 'pkBudget', deviceName }] }, lambdaContext()) as Promise<{
      tokens: unknown[];
    }>;
  return { sm, sim, invoke };
}

/** Counts every outgoing connection and HTTP request, whichever client makes it. */
function watchNetwork() {
  const channels = ['net.client.socket', 'http.client.request.start', 'undici:request:create'];
  const seen: string[] = [];
  const listeners = channels.map((name) => {
    const listener = () => seen.push(name);
    diagnosticsChannel.subscribe(name, listener);
    return () => diagnosticsChannel.unsubscribe(name, listener);
  });
  return {
    seen,
    stop: () => {
      for (const off of listeners) off();
    },
  };
}

describe('Secrets Manager budget', () => {
  test('100 concurrent first requests cause 1 GetSecretValue', async () => {
    // Prepare
    const { sm, invoke } = await setup();

    // Act
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => invoke(`cam${i}`)));

    // Assess
    expect(results.every((r) => r.tokens.length === 1)).toBe(true);
    expect(sm.calls).toBe(1);
  });

  test('100 concurrent first requests with the token store on cause 1 Secrets Manager request', async () => {
    // Prepare: the Lambda entry's wiring, one reader for both secrets.
    sm = await startFakeSecretsManager(SECRET);
    sm.setSecret('k'.repeat(43), 'broker/store-key');
    sim = await startUpstreamSimulator();
    engine = await startDynalite();
    const config = loadConfig(
      {
        SECRET_ID: 'broker/dev',
        UPSTREAM_URL: sim.url,
        TOKEN_TABLE: TEST_TABLE,
        TOKEN_STORE_KEY_SECRET_ID: 'broker/store-key',
        // 100 requests in one process make ~300 store calls at once, which
        // one dynalite serves slower than the default deadline; a Lambda
        // container serves one request at a time.
        TOKEN_STORE_TIMEOUT_MS: '5000',
      },
      { allowLoopbackHttp: true },
    );
    const secrets = createSecretsManagerReader(
      new SecretsManagerClient({ ...sdkConfigFor(sm.url) }),
    );
    const logger = captureLogger();
    const { handler } = createRuntime(config, {
      metrics: NO_METRICS,
      secretSource: secrets.source(config.secretId),
      tokenStore: { client: engine.newClient(), keySource: secrets.source('broker/store-key') },
      logger,
    });

    // Act
    const results = (await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        handler({ devices: [{ productKey: 'pkBudget', deviceName: `cam${i}` }] }, lambdaContext()),
      ),
    )) as Array<{ tokens: unknown[] }>;

    // Assess
    expect(results.every((r) => r.tokens.length === 1)).toBe(true);
    expect(sm.operations).toEqual(['BatchGetSecretValue']);
    expect(logger.lines.some((l) => l.includes('token store unavailable'))).toBe(false);
  });

  test('in steady state there is 1 fetch per SECRET_CACHE_SECONDS', async () => {
    // Prepare: a new device every 10 s for an hour, so every request logs in.
    const clock = { now: T0 };
    const { sm, sim, invoke } = await setup({ SECRET_CACHE_SECONDS: '300' }, () => clock.now);

    // Act
    for (let second = 0; second < 3600; second += 10) {
      clock.now = T0 + second * 1000;
      await invoke(`cam${second}`);
    }

    // Assess
    expect(sim.logins).toHaveLength(360);
    expect(sm.calls).toBe(3600 / 300);
  });

  test('a warm cache hit makes no network call of any kind', async () => {
    // Prepare
    const { sm, sim, invoke } = await setup();
    const cold = watchNetwork();
    await invoke('cam1');
    cold.stop();
    const callsBefore = { secrets: sm.calls, logins: sim.logins.length };

    // Act
    const warm = watchNetwork();
    const result = await invoke('cam1');
    warm.stop();

    // Assess
    expect(cold.seen).toContain('http.client.request.start');
    expect(callsBefore).toEqual({ secrets: 1, logins: 1 });
    expect(result.tokens).toHaveLength(1);
    expect(warm.seen).toEqual([]);
    expect({ secrets: sm.calls, logins: sim.logins.length }).toEqual(callsBefore);
  });
});

/**
 * Several accounts' cold start (issue 18): every routed account's secret
 * and the store key come in the one Secrets Manager round trip the single
 * account already makes, through the real SDK against a loopback endpoint.
 */
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
import { type Dynalite, sdkConfigFor, startDynalite, TEST_TABLE } from '../support/dynalite.ts';
import { lambdaContext } from '../support/events.ts';
import { captureLogger } from '../support/fakes.ts';
import {
  type FakeSecretsManager,
  startFakeSecretsManager,
} from '../support/secrets-manager-server.ts';
import { CN, EU, secretOf } from '../support/two-accounts.ts';

let sm: FakeSecretsManager | undefined;
let sims: UpstreamSimulator[] = [];
let engine: Dynalite | undefined;

afterEach(async () => {
  await Promise.all([sm?.close(), engine?.close(), ...sims.map((s) => s.close())]);
  sm = undefined;
  engine = undefined;
  sims = [];
});

describe('several accounts at cold start', () => {
  test('two accounts and the store key cost one BatchGetSecretValue, and no later read', async () => {
    // Prepare: the Lambda entry's wiring, one reader for every secret.
    const cn = await startUpstreamSimulator({ account: CN });
    const eu = await startUpstreamSimulator({ account: EU });
    sims = [cn, eu];
    sm = await startFakeSecretsManager('{}');
    sm.setSecret(secretOf(CN, cn.url), 'broker/cn');
    sm.setSecret(secretOf(EU, eu.url), 'broker/eu');
    sm.setSecret('k'.repeat(43), 'broker/store-key');
    engine = await startDynalite();
    const config = loadConfig(
      {
        SECRET_ID: 'broker/default',
        UPSTREAM_URL: 'http://127.0.0.1:9',
        UPSTREAM_ACCOUNTS: 'cn=broker/cn,eu=broker/eu',
        ACCOUNT_ROUTES: 'pkCn=cn,pkEu=eu',
        TOKEN_TABLE: TEST_TABLE,
        TOKEN_STORE_KEY_SECRET_ID: 'broker/store-key',
      },
      { allowLoopbackHttp: true },
    );
    const secrets = createSecretsManagerReader(
      new SecretsManagerClient({ ...sdkConfigFor(sm.url) }),
    );
    const { handler } = createRuntime(config, {
      metrics: NO_METRICS,
      secretSource: secrets.source(config.secretId),
      secretSourceOf: secrets.source,
      tokenStore: { client: engine.newClient(), keySource: secrets.source('broker/store-key') },
      allowLoopbackHttp: true,
      logger: captureLogger(),
    });
    const invoke = (productKey: string) =>
      handler({ devices: [{ productKey, deviceName: 'cam1' }] }, lambdaContext()) as Promise<{
        tokens: unknown[];
      }>;

    // Act: the first request names one account only; the second the other.
    const first = await invoke('pkCn');
    const second = await invoke('pkEu');

    // Assess
    expect([first.tokens.length, second.tokens.length]).toEqual([1, 1]);
    expect(sm.operations).toEqual(['BatchGetSecretValue']);
    expect([cn.logins.length, eu.logins.length]).toEqual([1, 1]);
  });
});

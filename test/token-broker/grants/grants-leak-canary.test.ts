/**
 * Leak canary of the grants directory and the audit line: with the token
 * store and the directory on, planted credentials, a planted store key and
 * every token the upstream issues must appear in no log or EMF line, on a
 * directory grant, a refusal, a refresh and a directory that cannot be read.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrantsClient } from '../../../clients/grants-client.ts';
import { startUpstreamSimulator } from '../../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../../functions/token-broker/config.ts';
import { GRANTS_TABLE_LAYOUT } from '../../../functions/token-broker/contract.ts';
import type { HttpResponse } from '../../../functions/token-broker/handler.ts';
import { createLogger } from '../../../functions/token-broker/log.ts';
import { createEmfMetrics } from '../../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../../functions/token-broker/runtime.ts';
import { ensureTable } from '../../../functions/token-broker/store/ensure-table.ts';
import { type Dynalite, startDynalite, TEST_TABLE } from '../../support/dynalite.ts';
import { httpApiEvent, lambdaContext } from '../../support/events.ts';
import { fakeSecretSource } from '../../support/fakes.ts';

const unique = (what: string) => `canary-${what}-${randomUUID()}`;
const ACCOUNT = {
  userName: unique('user'),
  password: unique('password'),
  appCode: unique('appcode'),
};
const STORE_KEY = unique('store-key');
const GRANTS = 'grants-canary';
const lines: string[] = [];
const closers: Array<() => Promise<void>> = [];
let upstreamUrl: string;

beforeAll(async () => {
  const sim = await startUpstreamSimulator({ account: ACCOUNT });
  upstreamUrl = sim.url;
  closers.push(() => sim.close());
});

afterAll(async () => {
  for (const close of closers) await close();
});

/** A container on `engine`, store and directory on, logging into `lines`. */
async function container(engine: Dynalite) {
  await ensureTable(engine.client, GRANTS, undefined, GRANTS_TABLE_LAYOUT.partitionKey);
  const config = loadConfig(
    {
      SECRET_ID: 'broker/dev',
      UPSTREAM_URL: upstreamUrl,
      TOKEN_TABLE: TEST_TABLE,
      TOKEN_STORE_KEY_SECRET_ID: 'broker/key',
      GRANTS_TABLE: GRANTS,
    },
    { allowLoopbackHttp: true },
  );
  const client = engine.newClient();
  const { handler } = createRuntime(config, {
    secretSource: fakeSecretSource(JSON.stringify(ACCOUNT)),
    tokenStore: { client, keySource: fakeSecretSource(STORE_KEY) },
    grantsDirectory: { client },
    logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    metrics: createEmfMetrics({ write: (l) => lines.push(l) }),
  });
  return async (sub: string, deviceName: string, refresh = false) =>
    (await handler(
      httpApiEvent({
        body: { devices: [{ productKey: 'pkL', deviceName }], refresh },
        claims: { sub, 'cognito:groups': ['watchers'] },
      }),
      lambdaContext(),
    )) as HttpResponse;
}

describe('grants directory leak canary', () => {
  it('writes no credential, store key or token to any log or EMF line, on any path', async () => {
    // Prepare
    const engine = await startDynalite();
    closers.push(() => engine.close());
    const ask = await container(engine);
    await new GrantsClient({ tableName: GRANTS, client: engine.newClient() }).add(
      'group:watchers',
      ['pkL/*'],
    );
    const lost = await startDynalite();
    const askLost = await container(lost);

    // Act
    const answers = [
      await ask('ulla', 'cam1'),
      await ask('ulla', 'cam1'),
      await ask('ulla', 'cam1', true),
    ];
    await lost.close();
    const unavailable = await askLost('ulla', 'cam2');

    // Assess
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(unavailable.statusCode).toBe(503);
    const tokens = answers.flatMap((a) =>
      (JSON.parse(a.body).tokens as Array<{ visualToken: string }>).map((t) => t.visualToken),
    );
    expect(tokens.length).toBeGreaterThan(0);
    const text = lines.join('\n');
    expect(text).toContain('"token audit"');
    for (const secret of [...Object.values(ACCOUNT), STORE_KEY, ...tokens]) {
      expect(text).not.toContain(secret);
    }
  }, 60_000);
});

/**
 * What the grants directory costs the store: with the token store on, a
 * request with directory grants makes no more DynamoDB round trips than
 * one with claim grants, because the directory's read joins the store's
 * BatchGetItem; on an L1 hit it is the request's one read. Counted on a
 * real dynalite, wired as the Lambda entry wires it (one client for both).
 * Also: the audit line's fingerprint is the one an operator computes with
 * the store key's secret (audit.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrantsClient } from '../../../clients/grants-client.ts';
import {
  DEV_ACCOUNT,
  startUpstreamSimulator,
} from '../../../functions/local/upstream-simulator.ts';
import {
  auditKeyOf,
  auditKeyOfStore,
  fingerprintOf,
} from '../../../functions/token-broker/audit.ts';
import { loadConfig } from '../../../functions/token-broker/config.ts';
import { GRANTS_TABLE_LAYOUT } from '../../../functions/token-broker/contract.ts';
import { parseCredentials } from '../../../functions/token-broker/credentials.ts';
import type { HttpResponse } from '../../../functions/token-broker/handler.ts';
import { NO_METRICS } from '../../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../../functions/token-broker/runtime.ts';
import { ensureTable } from '../../../functions/token-broker/store/ensure-table.ts';
import { deriveStoreKeys } from '../../../functions/token-broker/store/token-crypto.ts';
import {
  type Dynalite,
  requestsDuring,
  startDynalite,
  TEST_TABLE,
} from '../../support/dynalite.ts';
import { httpApiEvent, lambdaContext } from '../../support/events.ts';
import { captureLogger, fakeSecretSource } from '../../support/fakes.ts';

const GRANTS = 'grants-round-trips';
let engine: Dynalite;
let closeSim: () => Promise<void>;
let upstreamUrl: string;

beforeAll(async () => {
  engine = await startDynalite();
  await ensureTable(engine.client, GRANTS, undefined, GRANTS_TABLE_LAYOUT.partitionKey);
  const sim = await startUpstreamSimulator({ account: DEV_ACCOUNT });
  upstreamUrl = sim.url;
  closeSim = () => sim.close();
});

afterAll(async () => {
  await closeSim?.();
  await engine?.close();
});

/**
 * A container wired as index.ts wires one: one DynamoDB client for the store
 * and the directory. With `secretsMs`, Secrets Manager takes that long to
 * answer, as on a cold start, where the store's read must wait for its key.
 */
function container(directory: boolean, secretsMs = 0) {
  const slow = (value: string) =>
    secretsMs === 0 ? value : () => sleep(secretsMs).then(() => value);
  const logger = captureLogger();
  const config = loadConfig(
    {
      SECRET_ID: 'broker/dev',
      UPSTREAM_URL: upstreamUrl,
      TOKEN_TABLE: TEST_TABLE,
      TOKEN_STORE_KEY_SECRET_ID: 'broker/store-key',
      ...(directory ? { GRANTS_TABLE: GRANTS } : {}),
    },
    { allowLoopbackHttp: true },
  );
  const client = engine.newClient();
  const { handler } = createRuntime(config, {
    secretSource: fakeSecretSource(slow(JSON.stringify(DEV_ACCOUNT))),
    tokenStore: { client, keySource: fakeSecretSource(slow('k'.repeat(43))) },
    ...(directory ? { grantsDirectory: { client } } : {}),
    logger,
    metrics: NO_METRICS,
  });
  const ask = async (claims: Record<string, string | string[]>, deviceName: string) =>
    (await handler(
      httpApiEvent({ body: { devices: [{ productKey: 'pkR', deviceName }] }, claims }),
      lambdaContext(),
    )) as HttpResponse;
  return { ask, logger };
}

/** DynamoDB requests `act` made, by operation. */
const requestsOf = (act: () => Promise<unknown>) => requestsDuring(engine, act);

describe('grants directory round trips, with the token store off', () => {
  it('adds one BatchGetItem, the directory read, to a request', async () => {
    // Prepare
    const config = loadConfig(
      { SECRET_ID: 'broker/dev', UPSTREAM_URL: upstreamUrl, GRANTS_TABLE: GRANTS },
      { allowLoopbackHttp: true },
    );
    const { handler } = createRuntime(config, {
      secretSource: fakeSecretSource(JSON.stringify(DEV_ACCOUNT)),
      grantsDirectory: { client: engine.newClient() },
      logger: captureLogger(),
      metrics: NO_METRICS,
    });
    await new GrantsClient({ tableName: GRANTS, client: engine.newClient() }).add('user:vera', [
      'pkR/cam-off',
    ]);
    const event = httpApiEvent({
      body: { devices: [{ productKey: 'pkR', deviceName: 'cam-off' }] },
      claims: { sub: 'vera' },
    });
    let answer: HttpResponse | undefined;

    // Act
    const calls = await requestsOf(async () => {
      answer = (await handler(event, lambdaContext())) as HttpResponse;
    });

    // Assess
    expect(answer?.statusCode).toBe(200);
    expect(calls).toEqual({ BatchGetItem: 1 });
  });
});

describe('grants directory round trips, with the token store on', () => {
  it('adds no DynamoDB call to a miss: the directory read joins the store read', async () => {
    // Prepare
    const claimOnly = container(false);
    const withDirectory = container(true);
    await new GrantsClient({ tableName: GRANTS, client: engine.newClient() }).add('user:rita', [
      'pkR/cam-directory',
    ]);

    // Act
    const claimCalls = await requestsOf(() =>
      claimOnly.ask({ sub: 'sam', devices: 'pkR/cam-claim' }, 'cam-claim'),
    );
    const directoryCalls = await requestsOf(() =>
      withDirectory.ask({ sub: 'rita' }, 'cam-directory'),
    );

    // Assess
    expect(claimCalls.BatchGetItem).toBeGreaterThan(0);
    expect(directoryCalls).toEqual(claimCalls);
  });

  it('adds no DynamoDB call to the first request of a cold container, whose secrets come late', async () => {
    // Prepare
    const claimOnly = container(false, 30);
    const withDirectory = container(true, 30);
    await new GrantsClient({ tableName: GRANTS, client: engine.newClient() }).add('user:cora', [
      'pkR/cam-cold',
    ]);
    let answer: HttpResponse | undefined;

    // Act
    const claimCalls = await requestsOf(() =>
      claimOnly.ask({ sub: 'sam', devices: 'pkR/cam-cold-claim' }, 'cam-cold-claim'),
    );
    const directoryCalls = await requestsOf(async () => {
      answer = await withDirectory.ask({ sub: 'cora' }, 'cam-cold');
    });

    // Assess
    expect(answer?.statusCode).toBe(200);
    expect(claimCalls.BatchGetItem).toBe(1);
    expect(directoryCalls).toEqual(claimCalls);
  });

  it('reads the directory once on an L1 hit, and the fingerprint matches the account key', async () => {
    // Prepare
    const { ask, logger } = container(true);
    await new GrantsClient({ tableName: GRANTS, client: engine.newClient() }).add('user:tess', [
      'pkR/cam-hit',
    ]);
    const first = await ask({ sub: 'tess' }, 'cam-hit');

    // Act
    const hitCalls = await requestsOf(() => ask({ sub: 'tess' }, 'cam-hit'));

    // Assess
    expect(first.statusCode).toBe(200);
    expect(hitCalls).toEqual({ BatchGetItem: 1 });
    const token = JSON.parse(first.body).tokens[0].visualToken as string;
    // With the store on, the key comes from the store's key, never from the password.
    const key = auditKeyOfStore(deriveStoreKeys('k'.repeat(43)));
    expect(key.equals(auditKeyOf(parseCredentials(JSON.stringify(DEV_ACCOUNT), 'x')))).toBe(false);
    const audit = logger.lines.map((l) => JSON.parse(l)).find((l) => l.message === 'token audit');
    expect(audit?.fingerprints).toBe(`pkR/cam-hit=${fingerprintOf(key, token)}`);
    expect(logger.lines.join('\n')).not.toContain(token);
  });
});

describe('grants directory waiting for the store’s secrets', () => {
  it('fails when it asks Secrets Manager on every request: once, on the cold start, and not per listing', async () => {
    // Prepare: a secret that never comes, so no account is ever warm.
    const config = loadConfig(
      {
        SECRET_ID: 'broker/dev',
        UPSTREAM_URL: upstreamUrl,
        TOKEN_TABLE: TEST_TABLE,
        TOKEN_STORE_KEY_SECRET_ID: 'broker/store-key',
        GRANTS_TABLE: GRANTS,
      },
      { allowLoopbackHttp: true },
    );
    const client = engine.newClient();
    const secret = fakeSecretSource(() => Promise.reject(new Error('Secrets Manager is down')));
    const { handler } = createRuntime(config, {
      secretSource: secret,
      tokenStore: { client, keySource: fakeSecretSource('k'.repeat(43)) },
      grantsDirectory: { client },
      logger: captureLogger(),
      metrics: NO_METRICS,
    });
    const get = httpApiEvent({ method: 'GET', claims: { sub: 'lena' } });
    const listing = {
      ...get,
      routeKey: 'GET /tokens/devices',
      rawPath: '/tokens/devices',
      requestContext: {
        ...get.requestContext,
        http: { ...get.requestContext.http, path: '/tokens/devices' },
      },
    };

    // Act
    const answers: HttpResponse[] = [];
    for (let i = 0; i < 3; i += 1)
      answers.push((await handler(listing, lambdaContext())) as HttpResponse);

    // Assess
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(secret.reads).toBe(1);
  });
});

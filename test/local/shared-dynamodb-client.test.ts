/**
 * `npm start` with the token store and the grants directory on one engine:
 * one DynamoDB client for both, as the Lambda entry wires them, so a miss
 * reads the store and the directory in one BatchGetItem, from the first
 * request on (the store key read at start is handed over, not read again).
 * Counted at a real dynalite, over real HTTP to the spawned server.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GrantsClient } from '../../clients/grants-client.ts';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { openLocalGrantsTable } from '../../functions/local/local-grants.ts';
import { loopbackSdkConfig } from '../../functions/local/local-store.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import { type Dynalite, requestsDuring, startDynalite } from '../support/dynalite.ts';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.ts';

const TOKENS = 'shared-client-tokens';
const GRANTS = 'shared-client-grants';
let engine: Dynalite;
let server: SpawnedServer;

beforeAll(async () => {
  engine = await startDynalite();
  server = await spawnServer({
    TOKEN_TABLE: TOKENS,
    GRANTS_TABLE: GRANTS,
    AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
    LOCAL_STORE_ENGINE: '',
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await engine?.close();
});

/** DynamoDB requests `act` made, by operation. */
const requestsOf = (act: () => Promise<unknown>) => requestsDuring(engine, act);

/** `POST /tokens` for one device, as `sub` with `claims`; the status. */
async function ask(sub: string, deviceName: string, claims: Record<string, unknown> = {}) {
  const bearer = await issueDevToken({ sub, devices: null, claims });
  const response = await fetch(`${server.url}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ devices: [{ productKey: 'pkShared', deviceName }] }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('npm start: the store and the directory on one engine', () => {
  it('reads both in one BatchGetItem on a miss, the process’s first request too', async () => {
    // Prepare
    await new GrantsClient({ tableName: GRANTS, client: engine.newClient() }).add('user:uma', [
      'pkShared/cam-directory',
    ]);
    let status = 0;

    // Act
    const calls = await requestsOf(async () => {
      status = await ask('uma', 'cam-directory');
    });

    // Assess
    expect(status).toBe(200);
    expect(calls.BatchGetItem).toBe(1);
  }, 30_000);

  it('costs a directory-granted miss no more DynamoDB calls than a claim-granted one', async () => {
    // Prepare
    await new GrantsClient({ tableName: GRANTS, client: engine.newClient() }).add('user:vic', [
      'pkShared/cam-dir-2',
    ]);

    // Act
    const viaClaim = await requestsOf(() =>
      ask('walt', 'cam-claim-2', { devices: 'pkShared/cam-claim-2' }),
    );
    const viaDirectory = await requestsOf(() => ask('vic', 'cam-dir-2'));

    // Assess
    expect(viaClaim.BatchGetItem).toBe(1);
    expect(viaDirectory).toEqual(viaClaim);
  }, 30_000);
});

describe('openLocalGrantsTable beside a local store', () => {
  const env = () => ({ AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint });
  const config = () =>
    loadConfig(
      { SECRET_ID: 'local', UPSTREAM_URL: 'http://127.0.0.1:9', GRANTS_TABLE: GRANTS },
      { allowLoopbackHttp: true },
    );

  it('takes the store’s client on the same engine, and leaves closing it to the store', async () => {
    // Prepare
    const store = {
      client: engine.newClient(),
      sdkConfig: loopbackSdkConfig(env(), 'TOKEN_TABLE'),
    };
    const destroy = vi.spyOn(store.client, 'destroy');

    // Act
    const grants = await openLocalGrantsTable(env(), config(), store);
    grants?.close();

    // Assess
    expect(grants?.client).toBe(store.client);
    expect(grants?.sharesStoreClient).toBe(true);
    expect(destroy).not.toHaveBeenCalled();
    destroy.mockRestore();
    store.client.destroy();
  });

  it('has a client of its own when the store is on another engine', async () => {
    // Prepare
    const elsewhere = loopbackSdkConfig({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' }, 'x');
    const store = { client: engine.newClient(), sdkConfig: elsewhere };

    // Act
    const grants = await openLocalGrantsTable(env(), config(), store);

    // Assess
    expect(grants?.client).not.toBe(store.client);
    expect(grants?.sharesStoreClient).toBe(false);
    grants?.close();
    store.client.destroy();
  });
});

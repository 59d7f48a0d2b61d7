/**
 * The grants directory over real HTTP: `npm start` processes with
 * GRANTS_TABLE on a real dynalite, grants written with GrantsClient. A grant
 * serves on the next request and a revocation refuses on the next one;
 * groups and the claim add up; `GET /tokens/devices` lists the union; a
 * directory that cannot be read still serves what the claim covers and
 * answers 503 for the rest; the audit line names what was served and
 * carries no token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrantsClient } from '../../clients/grants-client.ts';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type Dynalite, startDynalite } from '../support/dynalite.ts';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.ts';

const TABLE = 'grants-e2e';
let engine: Dynalite;
let server: SpawnedServer;
let grants: GrantsClient;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  engine = await startDynalite();
  server = await start(engine);
  grants = new GrantsClient({ tableName: TABLE, client: engine.newClient() });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  for (const close of closers) await close();
  await engine?.close();
});

/** `npm start` with the directory on `on`'s engine. */
async function start(on: Dynalite): Promise<SpawnedServer> {
  return spawnServer({
    GRANTS_TABLE: TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: on.endpoint,
    LOCAL_STORE_ENGINE: '',
  });
}

const device = (productKey: string, deviceName: string) => ({ productKey, deviceName });

/** A dev token for `sub`, with `claims` (no device claim unless given). */
const tokenFor = (sub: string, claims: Record<string, unknown> = {}) =>
  issueDevToken({ sub, devices: null, claims });

async function post(at: SpawnedServer, bearer: string, devices: object[]) {
  const response = await fetch(`${at.url}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ devices }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('grants directory, over HTTP', () => {
  it('serves a device once it is granted, and refuses it on the very next request once revoked', async () => {
    // Prepare
    const bearer = await tokenFor('alice');
    const cam = device('pkA', 'cam1');

    // Act
    const before = await post(server, bearer, [cam]);
    await grants.add('user:alice', ['pkA/cam1']);
    const granted = await post(server, bearer, [cam]);
    await grants.remove('user:alice', ['pkA/cam1']);
    const revoked = await post(server, bearer, [cam]);

    // Assess
    expect(before.status).toBe(403);
    expect(granted.status).toBe(200);
    expect(granted.body.tokens).toHaveLength(1);
    expect(revoked.status).toBe(403);
    expect(revoked.body).toMatchObject({ code: 'FORBIDDEN_DEVICE', devices: [cam] });
  });

  it('grants what a group of the caller is granted', async () => {
    // Prepare
    await grants.add('group:installers', ['pkG/*']);
    const member = await tokenFor('bob', { 'cognito:groups': ['installers'] });
    const outsider = await tokenFor('carol', { 'cognito:groups': ['viewers'] });

    // Act
    const served = await post(server, member, [device('pkG', 'any-cam')]);
    const refused = await post(server, outsider, [device('pkG', 'any-cam')]);

    // Assess
    expect(served.status).toBe(200);
    expect(refused.status).toBe(403);
  });

  it('adds the claim grants and the directory grants up, in a request and in GET /tokens/devices', async () => {
    // Prepare
    await grants.add('user:dave', ['pkD/cam2']);
    const bearer = await tokenFor('dave', { devices: 'pkC/cam1' });

    // Act
    const both = await post(server, bearer, [device('pkC', 'cam1'), device('pkD', 'cam2')]);
    const neither = await post(server, bearer, [device('pkE', 'cam3')]);
    const listed = await fetch(`${server.url}/tokens/devices`, {
      headers: { authorization: `Bearer ${bearer}` },
    });

    // Assess
    expect(both.status).toBe(200);
    expect(both.body.tokens).toHaveLength(2);
    expect(neither.status).toBe(403);
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({
      all: false,
      products: [],
      devices: [device('pkC', 'cam1'), device('pkD', 'cam2')],
    });
  });

  it('writes an audit line per request naming what was served, with a fingerprint and no token', async () => {
    // Prepare
    await grants.add('user:erin', ['pkF/cam9']);
    const bearer = await tokenFor('erin', { 'cognito:groups': ['night-shift'] });

    // Act
    const served = await post(server, bearer, [device('pkF', 'cam9')]);

    // Assess
    expect(served.status).toBe(200);
    const token: string = served.body.tokens[0].visualToken;
    const audit = server
      .output()
      .split('\n')
      .filter((line) => line.includes('"token audit"') && line.includes('user:erin'))
      .map((line) => JSON.parse(line));
    expect(audit).toEqual([
      expect.objectContaining({
        principal: 'user:erin',
        groups: 'night-shift',
        requested: 'pkF/cam9',
        served: 'pkF/cam9',
        refused: '',
        viaClaim: '',
        viaDirectory: 'pkF/cam9',
        outcome: 'OK',
        status: 200,
        fingerprints: expect.stringMatching(/^pkF\/cam9=[\w-]{16}$/),
      }),
    ]);
    expect(server.output()).not.toContain(token);
  });

  it('fails when the directory cannot be read: claim-covered devices are served, others get 503', async () => {
    // Prepare
    const lost = await startDynalite();
    const down = await start(lost);
    closers.push(() => down.stop());
    await lost.close();
    const bearer = await tokenFor('frank', { devices: 'pkH/cam1' });

    // Act
    const covered = await post(down, bearer, [device('pkH', 'cam1')]);
    const uncovered = await post(down, bearer, [device('pkH', 'cam1'), device('pkI', 'cam2')]);

    // Assess
    expect(covered.status).toBe(200);
    expect(uncovered.status).toBe(503);
    expect(uncovered.body.code).toBe('GRANTS_UNAVAILABLE');
    expect(uncovered.headers.get('retry-after')).toBe('5');
    expect(down.output()).toContain('grants directory unreadable');
  }, 60_000);
});

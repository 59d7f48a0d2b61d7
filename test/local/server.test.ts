import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { decodeJwt, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDevVerifier,
  DEFAULT_KEY_FILE,
  DEV_AUDIENCE,
  DEV_ISSUER,
  IAT_CLOCK_SKEW_SECONDS,
  issueDevToken,
} from '../../functions/local/dev-issuer.ts';
import { demoOrigins } from '../../functions/local/local-settings.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';

const ORIGIN = 'http://127.0.0.1:4001';
const DEVICE = { productKey: 'pkA', deviceName: 'dev1' };

let dir: string;
let keyFile: URL;
let server: LocalServer;
let privateJwk: JWK;
const logger = captureLogger();

/** Signs arbitrary claims and header with the dev issuer's own key, or another. */
async function sign(
  options: {
    claims?: Record<string, unknown>;
    header?: Record<string, unknown>;
    key?: CryptoKey | Uint8Array;
    alg?: string;
  } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const key = options.key ?? (await importJWK(privateJwk, 'ES256'));
  const alg = options.alg ?? 'ES256';
  return new SignJWT({
    iss: DEV_ISSUER,
    aud: DEV_AUDIENCE,
    sub: 'alice',
    devices: '*',
    iat: now,
    exp: now + 600,
    ...options.claims,
  })
    .setProtectedHeader({ alg, kid: privateJwk.kid as string, ...options.header })
    .sign(key);
}

/** A port free a moment ago (the local server must know its port to derive the demo's). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

const post = (
  authorization: string | undefined,
  body: object = { devices: [DEVICE] },
  headers: Record<string, string> = {},
) =>
  fetch(`${server.url}/tokens`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: ORIGIN,
      ...(authorization === undefined ? {} : { authorization }),
      ...headers,
    },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vtb-server-'));
  keyFile = pathToFileURL(join(dir, 'issuer-key.json'));
  await createDevVerifier(keyFile);
  privateJwk = JSON.parse(await readFile(keyFile, 'utf8')).privateJwk;
  server = await startLocalServer({
    env: { CORS_ALLOWED_ORIGINS: ORIGIN },
    port: 0,
    keyFile,
    logger,
    metrics: NO_METRICS,
  });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('local server authentication', () => {
  it('answers 200 for a valid dev token (the baseline the failures below differ from)', async () => {
    // Prepare
    const token = await sign();
    // Act
    const response = await post(`Bearer ${token}`);
    // Assess
    expect(response.status).toBe(200);
    expect((await response.json()).tokens).toHaveLength(1);
  });

  it('answers 200 for an iat ahead of the clock by less than the allowed skew', async () => {
    // Prepare
    const iat = Math.floor(Date.now() / 1000) + IAT_CLOCK_SKEW_SECONDS - 20;
    const token = await sign({ claims: { iat } });
    // Act
    const response = await post(`Bearer ${token}`);
    // Assess
    expect(response.status).toBe(200);
  });

  const otherKey = async () => (await generateKeyPair('ES256')).privateKey;
  const cases: ReadonlyArray<readonly [string, string, () => Promise<string | undefined>]> = [
    ['the Authorization header is missing', 'no Authorization header', async () => undefined],
    [
      'the scheme is not Bearer',
      'not a Bearer token',
      async () => `Basic ${Buffer.from('a:b').toString('base64')}`,
    ],
    ['the token is not a JWT', 'not a signed JWT', async () => 'Bearer not-a-jwt'],
    [
      'the token is expired',
      'expired (exp)',
      async () => `Bearer ${await issueDevToken({ keyFile, expiresInSeconds: -60 })}`,
    ],
    [
      'the token is not yet valid',
      'not yet valid (nbf)',
      async () => `Bearer ${await sign({ claims: { nbf: Math.floor(Date.now() / 1000) + 600 } })}`,
    ],
    [
      'the token has no exp (API Gateway requires it)',
      'no exp claim',
      async () => `Bearer ${await sign({ claims: { exp: undefined } })}`,
    ],
    [
      'the iat is further in the future than the clock skew allows',
      'issued in the future (iat)',
      async () =>
        `Bearer ${await sign({ claims: { iat: Math.floor(Date.now() / 1000) + IAT_CLOCK_SKEW_SECONDS + 30 } })}`,
    ],
    [
      'the issuer is wrong',
      'wrong issuer (iss)',
      async () => `Bearer ${await sign({ claims: { iss: 'https://evil.example.com' } })}`,
    ],
    [
      'the audience is wrong',
      'wrong audience (aud)',
      async () => `Bearer ${await sign({ claims: { aud: 'other-api' } })}`,
    ],
    [
      'the token uses alg: none',
      'algorithm not allowed (alg)',
      async () => {
        const payload = decodeJwt(await sign());
        return `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
      },
    ],
    [
      'the payload was tampered with',
      'signature does not verify',
      async () => {
        const [header, , signature] = (await sign({ claims: { devices: 'pkB/dev1' } })).split('.');
        const forged = { ...decodeJwt(await sign()), devices: '*', sub: 'mallory' };
        return `Bearer ${header}.${b64(forged)}.${signature}`;
      },
    ],
    [
      'the kid is unknown',
      'unknown signing key (kid)',
      async () => `Bearer ${await sign({ key: await otherKey(), header: { kid: 'unknown-kid' } })}`,
    ],
    [
      'the signature is from another key with the known kid',
      'signature does not verify',
      async () => `Bearer ${await sign({ key: await otherKey() })}`,
    ],
    [
      'the algorithm is HS256 keyed with the public key (algorithm confusion)',
      'algorithm not allowed (alg)',
      async () => {
        const { publicJwk } = JSON.parse(await readFile(keyFile, 'utf8'));
        const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
        return `Bearer ${await sign({ key: secret, alg: 'HS256' })}`;
      },
    ],
  ];

  it.each(cases)(
    'fails when %s, with 401, logging why: %s',
    async (_name, reason, authorization) => {
      // Prepare
      const before = server.simulator?.logins.length;
      const header = await authorization();
      logger.lines.length = 0;
      // Act
      const response = await post(header);
      // Assess
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      const problem = await response.json();
      expect(problem.code).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(problem)).not.toContain(reason);
      expect(server.simulator?.logins.length).toBe(before);
      expect(logger.lines.map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({
          message: 'bearer token refused',
          requestId: problem.requestId,
          status: 401,
          reason,
        }),
      ]);
      const token = header?.split(' ')[1];
      if (token) expect(logger.lines.join('\n')).not.toContain(token);
    },
  );
});

describe('local server host check', () => {
  it('fails when the Host header names another host (DNS rebinding), with 421 and no answer from the broker', async () => {
    // Prepare
    const { request } = await import('node:http');
    const url = new URL(server.url);
    // Act
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/2015-03-31/functions/visual-token-broker/invocations',
          headers: { host: 'evil.example', 'content-type': 'text/plain' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ devices: [{ productKey: 'pkA', deviceName: 'dev1' }] }));
    });
    // Assess
    expect(status).toBe(421);
  });

  it('answers to localhost as well as 127.0.0.1', async () => {
    // Act
    const response = await fetch(`${server.url.replace('127.0.0.1', 'localhost')}/openapi.json`);
    // Assess
    expect(response.status).toBe(200);
  });
});

describe('local server scope', () => {
  it('fails when a device is outside the token grants, with 403 and no login', async () => {
    // Prepare
    const token = await issueDevToken({ keyFile, devices: 'pkA/dev1' });
    const before = server.simulator?.logins.length;
    // Act
    const response = await post(`Bearer ${token}`, {
      devices: [DEVICE, { productKey: 'pkB', deviceName: 'dev2' }],
    });
    // Assess
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      code: 'FORBIDDEN_DEVICE',
      devices: [{ productKey: 'pkB', deviceName: 'dev2' }],
    });
    expect(server.simulator?.logins.length).toBe(before);
  });
});

describe('local server CORS', () => {
  const preflight = (origin: string) =>
    fetch(`${server.url}/tokens`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });

  it('answers preflight from an allowed origin with method, headers and max age', async () => {
    // Act
    const response = await preflight(ORIGIN);
    // Assess
    expect(response.status).toBe(204);
    const names = [
      'access-control-allow-origin',
      'access-control-allow-methods',
      'access-control-allow-headers',
      'access-control-max-age',
      'vary',
    ];
    expect(Object.fromEntries(names.map((n) => [n, response.headers.get(n)]))).toEqual({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
  });

  it.each(['http://127.0.0.1:4002', 'http://localhost:4001', 'http://127.0.0.1:40011'])(
    'fails to allow preflight or a real response from %s',
    async (origin) => {
      // Prepare
      const token = await sign();
      // Act
      const pre = await preflight(origin);
      const real = await post(`Bearer ${token}`, { devices: [DEVICE] }, { origin });
      // Assess
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      expect(pre.headers.get('access-control-allow-methods')).toBeNull();
      expect(real.status).toBe(200);
      expect(real.headers.get('access-control-allow-origin')).toBeNull();
      expect(real.headers.get('vary')).toBe('Origin');
    },
  );

  it('allows the demo origins (port + 1) by default when CORS_ALLOWED_ORIGINS is unset', async () => {
    // Prepare
    const port = await freePort();
    const local = await startLocalServer({
      metrics: NO_METRICS,
      env: {},
      port,
      keyFile,
      logger: captureLogger(),
    });
    try {
      // Act
      const response = await fetch(`${local.url}/tokens`, {
        method: 'OPTIONS',
        headers: {
          origin: `http://localhost:${port + 1}`,
          'access-control-request-method': 'POST',
        },
      });
      // Assess
      expect(local.corsAllowedOrigins).toEqual(demoOrigins(port));
      expect(demoOrigins(port)).toContain(`http://127.0.0.1:${port + 1}`);
      expect(response.headers.get('access-control-allow-origin')).toBe(
        `http://localhost:${port + 1}`,
      );
    } finally {
      await local.close();
    }
  });
});

describe('npm run dev-token', () => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, ['functions/local/dev-token.ts', ...args]);

  it('prints a token carrying --devices, --sub and --expires-in', async () => {
    // Act
    const { stdout } = await run([
      '--devices',
      'pkA/*,pkB/dev1',
      '--sub',
      'alice',
      '--expires-in',
      '600',
    ]);
    // Assess
    const claims = await (await createDevVerifier(DEFAULT_KEY_FILE))(stdout.trim());
    expect(claims).toMatchObject({ devices: 'pkA/*,pkB/dev1', sub: 'alice' });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
  });

  it('grants * without --devices', async () => {
    // Act
    const { stdout } = await run([]);
    // Assess
    expect(decodeJwt(stdout.trim()).devices).toBe('*');
  });

  it('fails when --devices holds a malformed entry', async () => {
    // Act
    const act = run(['--devices', 'pkA,pkB/dev1']);
    // Assess
    await expect(act).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('malformed'),
    });
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { importJWK, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  createDevVerifier,
  DEV_AUDIENCE,
  DEV_ISSUER,
  IAT_CLOCK_SKEW_SECONDS,
  issueDevToken,
} from '../../functions/local/dev-issuer.ts';

let dir: string;
let keyFile: URL;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dev-issuer-'));
  keyFile = pathToFileURL(path.join(dir, 'key.json'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dev verifier', () => {
  test('verifies a token again from memory while it is valid', async () => {
    // Prepare
    const verify = await createDevVerifier(keyFile);
    const token = await issueDevToken({ keyFile, sub: 'alice' });

    // Act
    const first = await verify(token);
    const second = await verify(token);

    // Assess
    expect(first.sub).toBe('alice');
    expect(second).toBe(first);
  });

  test('fails when a remembered token has expired since', async () => {
    // Prepare
    const clock = { now: Date.now() };
    const verify = await createDevVerifier(keyFile, () => clock.now);
    const token = await issueDevToken({ keyFile, expiresInSeconds: 60 });
    await verify(token);

    // Act
    clock.now += 61_000;
    const later = verify(token);

    // Assess
    await expect(later).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  test('fails when a token differs from a remembered one by its signature', async () => {
    // Prepare
    const verify = await createDevVerifier(keyFile);
    const token = await issueDevToken({ keyFile });
    await verify(token);
    const tampered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;

    // Act
    const outcome = verify(tampered);

    // Assess
    await expect(outcome).rejects.toThrow();
  });
});

/** Signs exactly `claims` with the dev key (issueDevToken always sets iat and exp). */
async function signRaw(claims: Record<string, unknown>) {
  await issueDevToken({ keyFile });
  const { privateJwk } = JSON.parse(await readFile(keyFile, 'utf8'));
  return new SignJWT({ iss: DEV_ISSUER, aud: DEV_AUDIENCE, sub: 'dev-user', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid })
    .sign(await importJWK(privateJwk, 'ES256'));
}

describe('dev verifier claims, as the JWT authorizer checks them', () => {
  test('fails when the token has no exp', async () => {
    // Prepare
    const verify = await createDevVerifier(keyFile);
    const token = await signRaw({ iat: Math.floor(Date.now() / 1000) });

    // Act
    const outcome = verify(token);

    // Assess
    await expect(outcome).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'exp',
    });
  });

  test.each([
    ['accepts', IAT_CLOCK_SKEW_SECONDS, true],
    ['fails on', IAT_CLOCK_SKEW_SECONDS + 1, false],
  ] as const)('%s an iat %i s ahead of the clock', async (_verb, ahead, accepted) => {
    // Prepare
    const clock = { now: Date.now() };
    const verify = await createDevVerifier(keyFile, () => clock.now);
    const nowSeconds = Math.floor(clock.now / 1000);
    const token = await signRaw({ iat: nowSeconds + ahead, exp: nowSeconds + 3600 });

    // Act
    const outcome = verify(token);

    // Assess
    if (accepted) await expect(outcome).resolves.toMatchObject({ sub: 'dev-user' });
    else await expect(outcome).rejects.toMatchObject({ claim: 'iat' });
  });
});

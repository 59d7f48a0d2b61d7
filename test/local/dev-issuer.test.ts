import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createDevVerifier, issueDevToken } from '../../functions/local/dev-issuer.ts';

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

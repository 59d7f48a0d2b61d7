/**
 * `npm run fingerprint`: the audit fingerprint of a token on stdin under the
 * key of a credentials file, as a real process; the audit line's own
 * fingerprint is pinned to the same functions in directory-round-trips.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditKeyOf, auditKeyOfStore, fingerprintOf } from '../../functions/token-broker/audit.ts';
import { parseCredentials } from '../../functions/token-broker/credentials.ts';
import { deriveStoreKeys } from '../../functions/token-broker/store/token-crypto.ts';

const SECRET = JSON.stringify({ userName: 'ops-user', password: 'pw-1', appCode: 'code-1' });
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fingerprint-'));
  file = path.join(dir, 'secret.json');
  await writeFile(file, SECRET);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[], input: string) =>
  spawnSync(process.execPath, ['scripts/fingerprint.ts', ...args], { input, encoding: 'utf8' });

describe('npm run fingerprint', () => {
  it('prints the fingerprint of the token on stdin under the file’s credentials', () => {
    // Prepare
    const expected = fingerprintOf(auditKeyOf(parseCredentials(SECRET, 'x')), 'tok-123');

    // Act
    const out = run(['--secret-file', file], 'tok-123\n');

    // Assess
    expect(out.status).toBe(0);
    expect(out.stdout.trim()).toBe(expected);
    expect(expected).toMatch(/^[\w-]{16}$/);
  });

  it('prints the fingerprint under the store key, which the function prefers when the store is on', async () => {
    // Prepare
    const keyFile = path.join(dir, 'store-key.txt');
    await writeFile(keyFile, `${'s'.repeat(43)}\n`);
    const expected = fingerprintOf(auditKeyOfStore(deriveStoreKeys('s'.repeat(43))), 'tok-9');

    // Act
    const out = run(['--store-key-file', keyFile], 'tok-9');

    // Assess
    expect(out.status).toBe(0);
    expect(out.stdout.trim()).toBe(expected);
  });

  it('fails when no secret file is named, with exit 2 and the usage', () => {
    // Act
    const out = run([], 'tok-123');

    // Assess
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('--store-key-file or --secret-file is required');
  });

  it('fails when the file is no credentials secret, with exit 1 and no value of it', async () => {
    // Prepare
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ password: 'hunter2-secret' }));

    // Act
    const out = run(['--secret-file', bad], 'tok-123');

    // Assess
    expect(out.status).toBe(1);
    expect(out.stderr).not.toContain('hunter2-secret');
  });
});

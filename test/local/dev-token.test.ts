/**
 * `npm run dev-token`'s flags for the grants directory, run as the script
 * runs: `--no-devices` leaves the device claim out, `--groups` sets the
 * groups claim (GROUPS_CLAIM's name) as an array, `--sub` the subject.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createDevVerifier, DEFAULT_KEY_FILE } from '../../functions/local/dev-issuer.ts';

/** Runs the script with `args`, and GROUPS_CLAIM as given (unset by default). */
const run = (args: string[], groupsClaim?: string) => {
  const { GROUPS_CLAIM: _, ...env } = process.env;
  return promisify(execFile)(process.execPath, ['functions/local/dev-token.ts', ...args], {
    env: groupsClaim === undefined ? env : { ...env, GROUPS_CLAIM: groupsClaim },
  });
};

describe('npm run dev-token for the grants directory', () => {
  it('mints a token with --sub, --groups as cognito:groups and no device claim with --no-devices', async () => {
    // Act
    const { stdout } = await run(['--sub', 'alice', '--groups', 'ops,viewers', '--no-devices']);

    // Assess
    const claims = await (await createDevVerifier(DEFAULT_KEY_FILE))(stdout.trim());
    expect(claims.sub).toBe('alice');
    expect(claims['cognito:groups']).toEqual(['ops', 'viewers']);
    expect(claims).not.toHaveProperty('devices');
  });

  it('names the groups claim as GROUPS_CLAIM does', async () => {
    // Act
    const { stdout } = await run(['--groups', 'ops'], 'groups');

    // Assess
    const claims = decodeJwt(stdout.trim());
    expect(claims.groups).toEqual(['ops']);
    expect(claims).not.toHaveProperty('cognito:groups');
    expect(claims.devices).toBe('*');
  });

  it('mints no groups claim without --groups', async () => {
    // Act
    const { stdout } = await run(['--no-devices']);

    // Assess
    const claims = decodeJwt(stdout.trim());
    expect(claims).not.toHaveProperty('cognito:groups');
    expect(claims).not.toHaveProperty('devices');
    expect(claims.sub).toBe('dev-user');
  });

  it.each([
    ['--devices and --no-devices together', ['--devices', 'pkA/*', '--no-devices'], 'exclude'],
    ['--groups holds an empty name', ['--groups', 'ops,,viewers'], '--groups'],
    ['--groups holds a name with a space', ['--groups', 'ops team'], '--groups'],
  ])('fails when %s', async (_, args, message) => {
    // Act
    const act = run(args);

    // Assess
    await expect(act).rejects.toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringContaining(message),
    });
  });

  it('lists the new flags in --help', async () => {
    // Act
    const { stdout } = await run(['--help']);

    // Assess
    for (const flag of ['--no-devices', '--groups', '--sub', 'cognito:groups']) {
      expect(stdout).toContain(flag);
    }
  });
});

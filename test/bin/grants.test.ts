/**
 * `npm run grants` as a subprocess against a real dynalite on loopback, with
 * the environment docs/local.md gives (GRANTS_TABLE and a loopback
 * AWS_ENDPOINT_URL_DYNAMODB), no AWS credentials and no region.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../bin/grants.ts';
import { GrantsClient } from '../../clients/grants-client.ts';
import { GRANTS_TEST_TABLE, type GrantsTable, startGrantsTable } from '../clients/grants-table.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let table: GrantsTable;
let grants: GrantsClient;

beforeAll(async () => {
  table = await startGrantsTable();
  grants = new GrantsClient({ tableName: GRANTS_TEST_TABLE, client: table.client });
});

afterAll(() => table.close());

/** The environment without any AWS setting of the developer's, plus `extra`. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('AWS_') && name !== 'GRANTS_TABLE',
    ),
  );
  return { ...env, ...extra };
}

/** Runs `command args` in the project root, resolving whatever the exit code. */
function spawn(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Runs the CLI against the test table, as docs/local.md sets it up. */
const cli = (...args: string[]) =>
  spawn(
    process.execPath,
    ['bin/grants.ts', ...args],
    cleanEnv({
      GRANTS_TABLE: GRANTS_TEST_TABLE,
      AWS_ENDPOINT_URL_DYNAMODB: table.dynalite.endpoint,
    }),
  );

describe('npm run grants', () => {
  it('adds, lists and removes grants, with no AWS account or region', async () => {
    // Act
    const added = await cli('add', 'user:alice', 'pk/cam1', 'pk2/*');
    const listed = await cli('list', 'user:alice');
    const removed = await cli('remove', 'user:alice', 'pk/cam1');
    // Assess
    expect(added).toEqual({ code: EXIT.ok, stdout: 'pk/cam1\npk2/*\n', stderr: '' });
    expect(listed).toEqual(added);
    expect(removed).toEqual({ code: EXIT.ok, stdout: 'pk2/*\n', stderr: '' });
    expect((await grants.list('user:alice')).entries).toEqual(['pk2/*']);
  });

  it('runs through the package script, and prints JSON with --json', async () => {
    // Act
    const run = await spawn(
      'npm',
      ['run', '--silent', 'grants', '--', 'add', '--json', 'group:ops', '*'],
      cleanEnv({
        GRANTS_TABLE: GRANTS_TEST_TABLE,
        AWS_ENDPOINT_URL_DYNAMODB: table.dynalite.endpoint,
      }),
    );
    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toEqual({
      principal: 'group:ops',
      entries: ['*'],
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
  });

  it('takes the table from --table over GRANTS_TABLE', async () => {
    // Act
    const run = await spawn(
      process.execPath,
      ['bin/grants.ts', 'list', '--table', GRANTS_TEST_TABLE, 'group:ops'],
      cleanEnv({ GRANTS_TABLE: 'elsewhere', AWS_ENDPOINT_URL_DYNAMODB: table.dynalite.endpoint }),
    );
    // Assess
    expect(run).toMatchObject({ code: EXIT.ok, stdout: '*\n' });
  });

  it('prints nothing for a principal without grants', async () => {
    // Act
    const run = await cli('list', 'user:nobody');
    // Assess
    expect(run).toEqual({ code: EXIT.ok, stdout: '', stderr: '' });
  });

  it.each([
    [['add', 'alice', 'pk/cam1'], 'principal: must be user:<sub> or group:<name>'],
    [['add', 'user:alice', 'pk/cam1', 'cam2'], 'entries[1]: must be *, productKey/*'],
    [['add', 'user:alice'], 'entries: name at least one entry'],
    [['remove'], 'remove: name a principal'],
    [['grant', 'user:alice', 'pk/cam1'], 'unknown command "grant"'],
    [['list', 'user:alice', 'pk/cam1'], 'list: takes one principal'],
  ])('fails when the arguments are %j, with exit 2 naming the bad one', async (args, message) => {
    // Prepare
    const before = table.dynalite.requests.get('UpdateItem') ?? 0;
    // Act
    const run = await cli(...args);
    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`grants: ${message}`);
    expect(run.stderr).toContain('Usage: npm run grants');
    expect(table.dynalite.requests.get('UpdateItem') ?? 0).toBe(before);
  });

  it('fails when no table is named, with exit 2 naming GRANTS_TABLE and --table', async () => {
    // Act
    const run = await spawn(
      process.execPath,
      ['bin/grants.ts', 'list', 'user:alice'],
      cleanEnv({ AWS_ENDPOINT_URL_DYNAMODB: table.dynalite.endpoint }),
    );
    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('name the grants table with --table or GRANTS_TABLE');
  });

  it('fails when the table does not exist, with exit 1 and the store error', async () => {
    // Act
    const run = await cli('list', '--table', 'no-such-table', 'user:alice');
    // Assess
    expect(run.code).toBe(EXIT.error);
    expect(run.stderr).toMatch(
      /^grants: DynamoDB failed on table no-such-table for user:alice \(ResourceNotFoundException: .*\) \(STORE_ERROR\)\n$/,
    );
  });

  it('fails when the engine is unreachable, with exit 1', async () => {
    // Act
    const run = await spawn(
      process.execPath,
      ['bin/grants.ts', 'list', 'user:alice'],
      cleanEnv({
        GRANTS_TABLE: GRANTS_TEST_TABLE,
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      }),
    );
    // Assess
    expect(run.code).toBe(EXIT.error);
    expect(run.stderr).toContain('(STORE_ERROR)');
  }, 30_000);
});

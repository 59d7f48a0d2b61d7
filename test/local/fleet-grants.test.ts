/**
 * `npm run fleet -- --grants`: every container gets GRANTS_TABLE, the one
 * table on the fleet's one dynalite, and opens it at start (its ready line
 * says so); with `--no-store` too, the dynalite still starts for it, and
 * TOKEN_TABLE stays unset. Without the option, no container has it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { FLEET_GRANTS_TABLE, type Fleet, startFleet } from '../../functions/local/fleet.ts';
import { sdkConfigFor } from '../support/dynalite.ts';

const TIMEOUT = 60_000;
let fleet: Fleet | undefined;

afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
}, TIMEOUT);

/** The key of `table` on the fleet's dynalite. */
async function keyOf(endpoint: string, table: string) {
  const client = new DynamoDBClient(sdkConfigFor(endpoint));
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    return Table?.KeySchema;
  } finally {
    client.destroy();
  }
}

describe('npm run fleet with the grants directory', () => {
  it.each([
    { store: true, storeLine: true },
    { store: false, storeLine: false },
  ])(
    'gives every container the one grants table, store $store',
    async ({ store, storeLine }) => {
      // Act
      fleet = await startFleet({ containers: 2, port: 0, store, grants: true });

      // Assess
      const endpoint = fleet.dynalite?.endpoint ?? '';
      expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(fleet.grantsTable).toBe(FLEET_GRANTS_TABLE);
      expect(await keyOf(endpoint, FLEET_GRANTS_TABLE)).toEqual([
        { AttributeName: 'principal', KeyType: 'HASH' },
      ]);
      for (const container of fleet.containers) {
        const output = container.output();
        expect(output).toContain(
          `  grants:   directory on: table ${FLEET_GRANTS_TABLE} on the fleet’s embedded dynalite at ${endpoint}`,
        );
        expect(output).toContain(`GRANTS_TABLE=${FLEET_GRANTS_TABLE}`);
        expect(output.includes('  store:    table ')).toBe(storeLine);
      }
    },
    TIMEOUT,
  );

  it(
    'gives no container GRANTS_TABLE without the option, even when this process has it',
    async () => {
      // Prepare
      process.env.GRANTS_TABLE = 'inherited-grants';

      // Act
      try {
        fleet = await startFleet({ containers: 2, port: 0 });
      } finally {
        delete process.env.GRANTS_TABLE;
      }

      // Assess
      expect(fleet.grantsTable).toBeUndefined();
      for (const container of fleet.containers) {
        expect(container.output()).not.toContain('grants:');
      }
    },
    TIMEOUT,
  );

  it('lists --grants in npm run fleet --help', async () => {
    // Act
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/fleet.ts', '--help']);

    // Assess
    expect(stdout).toMatch(/--grants\s+GRANTS_TABLE set/);
  });
});

/**
 * The reader matches each answer to the id asked for exactly (issue 18's
 * review): a partial ARN is never matched by prefix, so one account is never
 * handed another's secret, whatever order BatchGetSecretValue lists them in.
 * A fake client, because the order is what is under test.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { createSecretsManagerReader } from '../../functions/token-broker/secrets-manager-reader.ts';

const PREFIX = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:';

/** A client answering every batch with `entries`, in that order, recording the id lists. */
function fakeClient(entries: { Name: string; ARN: string; SecretString: string }[]) {
  const batches: string[][] = [];
  const client = {
    async send(command: { input: { SecretIdList?: string[] } }) {
      batches.push(command.input.SecretIdList ?? []);
      return { SecretValues: entries, Errors: [] };
    },
  } as unknown as SecretsManagerClient;
  return { client, batches };
}

describe('createSecretsManagerReader and ARNs', () => {
  it('gives each partial ARN its own secret when another secret’s ARN begins with it', async () => {
    // Prepare
    const { client } = fakeClient([
      { Name: 'broker/cn-eu', ARN: `${PREFIX}broker/cn-eu-XyZaBc`, SecretString: 'EU' },
      { Name: 'broker/cn', ARN: `${PREFIX}broker/cn-AbCdEf`, SecretString: 'CN' },
    ]);
    const reader = createSecretsManagerReader(client);
    // Act
    const read = await Promise.all([
      reader.source(`${PREFIX}broker/cn`).read(),
      reader.source(`${PREFIX}broker/cn-eu`).read(),
    ]);
    // Assess
    expect(read).toEqual(['CN', 'EU']);
  });

  it('matches a complete ARN and a name exactly', async () => {
    // Prepare
    const { client } = fakeClient([
      { Name: 'broker/cn-eu', ARN: `${PREFIX}broker/cn-eu-XyZaBc`, SecretString: 'EU' },
      { Name: 'broker/cn', ARN: `${PREFIX}broker/cn-AbCdEf`, SecretString: 'CN' },
    ]);
    const reader = createSecretsManagerReader(client);
    // Act
    const read = await Promise.all([
      reader.source(`${PREFIX}broker/cn-AbCdEf`).read(),
      reader.source('broker/cn-eu').read(),
    ]);
    // Assess
    expect(read).toEqual(['CN', 'EU']);
  });

  it('asks for at most 20 ids in one BatchGetSecretValue', async () => {
    // Prepare
    const ids = Array.from({ length: 25 }, (_, i) => `s${i}`);
    const { client, batches } = fakeClient(
      ids.map((id) => ({ Name: id, ARN: `${PREFIX}${id}-AbCdEf`, SecretString: id })),
    );
    const reader = createSecretsManagerReader(client);
    // Act
    const read = await Promise.all(ids.map((id) => reader.source(id).read()));
    // Assess
    expect(read).toEqual(ids);
    expect(batches.map((b) => b.length)).toEqual([20, 5]);
  });
});

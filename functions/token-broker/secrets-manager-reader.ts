/**
 * Reads several secrets in one Secrets Manager round trip: reads of
 * different secret ids asked for in the same tick are coalesced into one
 * `BatchGetSecretValue` (one id alone stays a `GetSecretValue`, as before).
 * The broker asks for the credentials and the token store key together, so
 * a cold start with the store on still costs one Secrets Manager call.
 */
import {
  BatchGetSecretValueCommand,
  type SecretsManagerClient,
  type SecretValueEntry,
} from '@aws-sdk/client-secrets-manager';
import {
  noSecretString,
  type SecretSource,
  secretReadError,
  secretsManagerSource,
} from './credentials.ts';

/** A Secrets Manager reader that hands out one {@link SecretSource} per secret id. */
export interface SecretsManagerReader {
  /** The source of `secretId`; its reads share round trips with the reader's other sources. */
  source(secretId: string): SecretSource;
}

/** Whether the answer `entry` is the secret asked for as `id` (a name, a full or partial ARN). */
const answers = (entry: SecretValueEntry, id: string): boolean =>
  entry.Name === id || entry.ARN === id || (id.startsWith('arn:') && !!entry.ARN?.startsWith(id));

/** Creates a reader on `client` (credentials.ts `createSecretsManagerClient`). */
export function createSecretsManagerReader(client: SecretsManagerClient): SecretsManagerReader {
  let queued = new Map<string, PromiseWithResolvers<string>[]>();

  async function flush() {
    const batch = queued;
    queued = new Map();
    const ids = [...batch.keys()];
    const settle = (id: string, outcome: { value: string } | { error: unknown }) => {
      for (const waiter of batch.get(id) ?? []) {
        if ('value' in outcome) waiter.resolve(outcome.value);
        else waiter.reject(outcome.error);
      }
    };
    const [single] = ids;
    if (ids.length === 1 && single !== undefined) {
      await secretsManagerSource(client, single)
        .read()
        .then(
          (value) => settle(single, { value }),
          (error: unknown) => settle(single, { error }),
        );
      return;
    }
    try {
      const out = await client.send(new BatchGetSecretValueCommand({ SecretIdList: ids }));
      for (const id of ids) {
        const entry = out.SecretValues?.find((e) => answers(e, id));
        const fault = out.Errors?.find((e) => e.SecretId === id);
        if (entry?.SecretString !== undefined) settle(id, { value: entry.SecretString });
        else if (entry !== undefined) settle(id, { error: noSecretString(id) });
        else {
          const name = fault?.ErrorCode ?? 'ResourceNotFoundException';
          settle(id, { error: secretReadError(id, new Error(fault?.Message ?? name), name) });
        }
      }
    } catch (cause) {
      for (const id of ids) settle(id, { error: secretReadError(id, cause) });
    }
  }

  return {
    source(secretId) {
      return {
        name: secretId,
        read() {
          const waiter = Promise.withResolvers<string>();
          if (queued.size === 0) {
            // After the promise jobs queued so far, so a Promise.all of reads joins one call.
            Promise.resolve().then(() => process.nextTick(flush));
          }
          const list = queued.get(secretId);
          if (list === undefined) queued.set(secretId, [waiter]);
          else list.push(waiter);
          return waiter.promise;
        },
      };
    },
  };
}

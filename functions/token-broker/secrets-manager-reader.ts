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
import { createBatchQueue } from './batch-queue.ts';
import type { SecretSource } from './credentials.ts';
import { noSecretString, secretReadError, secretsManagerSource } from './secrets-manager-source.ts';

/** A Secrets Manager reader that hands out one {@link SecretSource} per secret id. */
export interface SecretsManagerReader {
  /** The source of `secretId`; its reads share round trips with the reader's other sources. */
  source(secretId: string): SecretSource;
}

/**
 * Whether the answer `entry` is the secret asked for as `id`: a name, a
 * complete ARN, or a partial ARN, which is the complete one without its
 * suffix of a hyphen and six characters. Never a mere prefix: the partial
 * ARN of `broker/cn` begins the ARN of `broker/cn-eu` too, and one account
 * must never be handed another's secret, whatever order the answer lists.
 */
function answers(entry: SecretValueEntry, id: string): boolean {
  if (!id.startsWith('arn:')) return entry.Name === id;
  const arn = entry.ARN ?? '';
  return arn === id || (arn.length === id.length + 7 && arn.startsWith(`${id}-`));
}

/** Creates a reader on `client` (credentials.ts `createSecretsManagerClient`). */
export function createSecretsManagerReader(client: SecretsManagerClient): SecretsManagerReader {
  const queue = createBatchQueue<{
    readonly id: string;
    readonly waiter: PromiseWithResolvers<string>;
  }>({
    // BatchGetSecretValue takes at most 20 ids.
    maxBatch: 20,
    send: (items) => {
      const batch = new Map<string, PromiseWithResolvers<string>[]>();
      for (const { id, waiter } of items) batch.set(id, [...(batch.get(id) ?? []), waiter]);
      void flush(batch);
    },
  });

  async function flush(batch: ReadonlyMap<string, PromiseWithResolvers<string>[]>) {
    const ids = [...batch.keys()];
    const settle = (id: string, outcome: { value: string } | { error: unknown }) => {
      for (const waiter of batch.get(id) ?? []) {
        if ('value' in outcome) waiter.resolve(outcome.value);
        else waiter.reject(outcome.error);
      }
    };
    const each = (list: readonly string[]) =>
      Promise.all(
        list.map((id) =>
          secretsManagerSource(client, id)
            .read()
            .then(
              (value) => settle(id, { value }),
              (error: unknown) => settle(id, { error }),
            ),
        ),
      );
    if (ids.length === 1) return each(ids);
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
      // A role granted GetSecretValue only (no BatchGetSecretValue) still works, in parallel calls.
      if ((cause as Error).name === 'AccessDeniedException') return each(ids);
      for (const id of ids) settle(id, { error: secretReadError(id, cause) });
    }
  }

  return {
    source(secretId) {
      return {
        name: secretId,
        read() {
          const waiter = Promise.withResolvers<string>();
          queue.push({ id: secretId, waiter });
          return waiter.promise;
        },
      };
    },
  };
}

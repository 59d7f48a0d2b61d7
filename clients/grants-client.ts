/**
 * Client of the grants directory for the app's backend: adds, removes and
 * lists the device grants of a principal (`user:<sub>` or `group:<name>`)
 * in the DynamoDB table the broker reads (GRANTS_TABLE), for when a user
 * binds, shares or unshares a camera. One item per principal, its entries
 * one string set changed with `ADD`/`DELETE`, so concurrent writers never
 * lose an entry (docs/grants.md). To ship it, copy this file,
 * `grants-client-errors.ts` and the contract
 * (`functions/token-broker/contract.ts`), which imports nothing. Pair it
 * with the TokenBroker construct's `grantGrantsWrite(role)`.
 */
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  GRANTS_TABLE_LAYOUT,
  isGrantEntry,
  PRINCIPAL_PATTERN,
} from '../functions/token-broker/contract.ts';
import {
  GRANTS_CLIENT_ERROR_CODES,
  GrantsClientError,
  storeError,
} from './grants-client-errors.ts';

export {
  GRANTS_TABLE_LAYOUT,
  isGrantEntry,
  PRINCIPAL_PATTERN,
  PRINCIPAL_PREFIXES,
} from '../functions/token-broker/contract.ts';
export {
  GRANTS_CLIENT_ERROR_CODES,
  GrantsClientError,
  type GrantsClientErrorCode,
} from './grants-client-errors.ts';

/** Options of {@link GrantsClient}. */
export interface GrantsClientOptions {
  /** The grants table: the broker's GRANTS_TABLE, the stack's grants table name. */
  readonly tableName: string;
  /**
   * The SDK client; inject one to share it, set a region or an endpoint.
   * Its retries are safe: adding or deleting a set element twice is the same as once.
   * @default new DynamoDBClient({}), which reads AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB and the usual credentials
   */
  readonly client?: DynamoDBClient;
  /**
   * Clock, for `updatedAt`.
   * @default () => new Date()
   */
  readonly now?: () => Date;
}

/** A principal's grants, as the directory holds them. */
export interface GrantsListing {
  /** `user:<sub>` or `group:<name>`. */
  readonly principal: string;
  /** The entries, sorted: `*`, `productKey/*`, `productKey/deviceName`. Empty when none. */
  readonly entries: string[];
  /** When the principal's item was last written, ISO 8601; undefined when it never was. */
  readonly updatedAt: string | undefined;
}

const { partitionKey, entries: ENTRIES, updatedAt: UPDATED_AT } = GRANTS_TABLE_LAYOUT;

/** @throws GrantsClientError `INVALID_PRINCIPAL` naming `principal`. */
function checkPrincipal(principal: unknown): asserts principal is string {
  if (typeof principal !== 'string' || !PRINCIPAL_PATTERN.test(principal)) {
    throw new GrantsClientError(
      GRANTS_CLIENT_ERROR_CODES.invalidPrincipal,
      `principal: must be user:<sub> or group:<name> (${PRINCIPAL_PATTERN.source}), got ${JSON.stringify(principal)}`,
      { argument: 'principal' },
    );
  }
}

/**
 * The distinct entries of `entries`: DynamoDB refuses a set with duplicates.
 * @throws GrantsClientError `NO_ENTRIES` or `INVALID_ENTRY` naming the first bad one.
 */
function checkEntries(entries: unknown): string[] {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new GrantsClientError(
      GRANTS_CLIENT_ERROR_CODES.noEntries,
      'entries: name at least one entry (*, productKey/* or productKey/deviceName)',
      { argument: 'entries' },
    );
  }
  entries.forEach((entry: unknown, i) => {
    if (typeof entry !== 'string' || !isGrantEntry(entry)) {
      throw new GrantsClientError(
        GRANTS_CLIENT_ERROR_CODES.invalidEntry,
        `entries[${i}]: must be *, productKey/* or productKey/deviceName, got ${JSON.stringify(entry)}`,
        { argument: `entries[${i}]` },
      );
    }
  });
  return [...new Set(entries as string[])];
}

/** The listing of an item (or of none). */
function listingOf(
  principal: string,
  item: Record<string, AttributeValue> | undefined,
): GrantsListing {
  const entries = [...(item?.[ENTRIES]?.SS ?? [])].sort();
  return { principal, entries, updatedAt: item?.[UPDATED_AT]?.S };
}

/**
 * Adds, removes and lists the grants of principals in the grants table.
 * Each method checks its arguments before any call, and throws a
 * {@link GrantsClientError}; match on its `code`.
 * @example
 * const grants = new GrantsClient({ tableName: process.env.GRANTS_TABLE ?? '' });
 * await grants.add('user:alice', ['pk1/cam-1', 'pk2/*']); // Alice bound cam-1, and has all of pk2
 * await grants.remove('user:alice', ['pk1/cam-1']);       // she unshared it: her next request is refused
 * const { entries, updatedAt } = await grants.list('user:alice'); // ['pk2/*'], '2026-…Z'
 */
export class GrantsClient {
  readonly #table: string;
  readonly #client: DynamoDBClient;
  readonly #now: () => Date;

  /** @throws GrantsClientError `INVALID_OPTIONS` when `tableName` is missing. */
  constructor(options: GrantsClientOptions) {
    if (typeof options?.tableName !== 'string' || options.tableName.trim() === '') {
      throw new GrantsClientError(
        GRANTS_CLIENT_ERROR_CODES.invalidOptions,
        'GrantsClientOptions.tableName: name the grants table (GRANTS_TABLE)',
        { argument: 'tableName' },
      );
    }
    this.#table = options.tableName;
    this.#client = options.client ?? new DynamoDBClient({});
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Grants `entries` to `principal`, in one atomic `ADD` to its string set:
   * entries it already has stay once, and concurrent adds and removes of
   * other entries are never lost. Records `updatedAt`.
   * @returns the principal's grants just after this write.
   * @throws GrantsClientError `INVALID_PRINCIPAL`, `NO_ENTRIES` or `INVALID_ENTRY`
   *   before any call; `ITEM_TOO_LARGE` past DynamoDB's 400 KB item limit (nothing
   *   added); `STORE_ERROR` when DynamoDB fails, its error as `cause`.
   * @example
   * await grants.add('group:installers', ['*']);
   */
  add(principal: string, entries: readonly string[]): Promise<GrantsListing> {
    return this.#update('ADD', principal, entries);
  }

  /**
   * Revokes `entries` from `principal`, in one atomic `DELETE` from its
   * string set; entries it does not have are ignored. The broker's next
   * request for the principal no longer sees them (tokens already handed
   * out stay valid upstream until they expire). Records `updatedAt`.
   * @returns the principal's grants just after this write.
   * @throws GrantsClientError as {@link GrantsClient.add}, never `ITEM_TOO_LARGE`.
   * @example
   * await grants.remove('user:alice', ['pk1/cam-1']);
   */
  remove(principal: string, entries: readonly string[]): Promise<GrantsListing> {
    return this.#update('DELETE', principal, entries);
  }

  /**
   * The grants of `principal`, sorted, read consistently (a write that
   * returned is always seen). A principal never written has none.
   * @throws GrantsClientError `INVALID_PRINCIPAL` before any call; `STORE_ERROR`.
   * @example
   * const { entries } = await grants.list('group:ops');
   */
  async list(principal: string): Promise<GrantsListing> {
    checkPrincipal(principal);
    try {
      const output = await this.#client.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: { [partitionKey]: { S: principal } },
          ConsistentRead: true,
        }),
      );
      return listingOf(principal, output.Item);
    } catch (cause) {
      throw storeError(cause, this.#table, principal);
    }
  }

  async #update(
    action: 'ADD' | 'DELETE',
    principal: string,
    entries: readonly string[],
  ): Promise<GrantsListing> {
    checkPrincipal(principal);
    const distinct = checkEntries(entries);
    try {
      const output = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [partitionKey]: { S: principal } },
          UpdateExpression: `${action} #entries :entries SET #updatedAt = :now`,
          ExpressionAttributeNames: { '#entries': ENTRIES, '#updatedAt': UPDATED_AT },
          ExpressionAttributeValues: {
            ':entries': { SS: distinct },
            ':now': { S: this.#now().toISOString() },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return listingOf(principal, output.Attributes);
    } catch (cause) {
      throw storeError(cause, this.#table, principal);
    }
  }
}

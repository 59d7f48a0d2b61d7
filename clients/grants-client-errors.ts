/**
 * The errors of `GrantsClient`, and how an SDK error becomes one. Part of
 * `clients/grants-client.ts`, which re-exports them.
 */

/** The stable codes of {@link GrantsClientError}. */
export const GRANTS_CLIENT_ERROR_CODES = {
  /** The client's options are unusable (no `tableName`). Nothing was sent. */
  invalidOptions: 'INVALID_OPTIONS',
  /** The principal is not `user:<sub>` or `group:<name>`. Nothing was sent. */
  invalidPrincipal: 'INVALID_PRINCIPAL',
  /** An entry is not `*`, `productKey/*` or `productKey/deviceName`. Nothing was sent. */
  invalidEntry: 'INVALID_ENTRY',
  /** `add` or `remove` was given no entry. Nothing was sent. */
  noEntries: 'NO_ENTRIES',
  /**
   * The principal's item would pass DynamoDB's 400 KB item limit: the add
   * was refused whole and changed nothing. Grant `productKey/*` or a group instead.
   */
  itemTooLarge: 'ITEM_TOO_LARGE',
  /** DynamoDB failed or refused the call (no table, no access, throttled, unreachable). */
  storeError: 'STORE_ERROR',
} as const;

/** A code of {@link GRANTS_CLIENT_ERROR_CODES}. */
export type GrantsClientErrorCode =
  (typeof GRANTS_CLIENT_ERROR_CODES)[keyof typeof GRANTS_CLIENT_ERROR_CODES];

/**
 * Any error of `GrantsClient`. Match on `code`; `argument` names the bad
 * argument of a validation failure (`principal`, `entries[2]`), and `cause`
 * holds the SDK's error of a store failure.
 */
export class GrantsClientError extends Error {
  /** Stable code. */
  readonly code: GrantsClientErrorCode;
  /** The argument at fault, for the validation codes; undefined for store failures. */
  readonly argument: string | undefined;

  constructor(
    code: GrantsClientErrorCode,
    message: string,
    options: { argument?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Set by hand: bundlers rename classes, and callers match on `name`.
    this.name = 'GrantsClientError';
    this.code = code;
    this.argument = options.argument;
  }
}

/**
 * DynamoDB's refusal of an item past its size limit: a ValidationException
 * whose message says so ("Item size to update has exceeded the maximum
 * allowed size"; dynalite answers the same).
 */
const isItemTooLarge = (error: unknown) =>
  (error as Error)?.name === 'ValidationException' &&
  /item size.*exceeded the maximum allowed size/i.test((error as Error).message);

/** The error of a failed DynamoDB call for `principal` on `table`, the SDK's error as `cause`. */
export function storeError(cause: unknown, table: string, principal: string): GrantsClientError {
  if (isItemTooLarge(cause)) {
    return new GrantsClientError(
      GRANTS_CLIENT_ERROR_CODES.itemTooLarge,
      `The grants of ${principal} would pass DynamoDB's 400 KB item limit; nothing was added. Grant productKey/* or a group instead (docs/grants.md)`,
      { cause },
    );
  }
  const name = cause instanceof Error ? cause.name : 'Error';
  const message = cause instanceof Error ? `: ${cause.message}` : '';
  return new GrantsClientError(
    GRANTS_CLIENT_ERROR_CODES.storeError,
    `DynamoDB failed on table ${table} for ${principal} (${name}${message})`,
    { cause },
  );
}

/**
 * Errors of the token store. They live here until the error catalogue
 * (errors.ts) takes them in; like the catalogue's, `name` is a string
 * literal so it survives minification, and `code` is stable.
 */

/**
 * The store could not be used: unreachable, throttled, slow or refusing.
 * The store is a cache, so the broker logs a warning and carries on.
 */
export class TokenStoreError extends Error {
  override readonly name = 'TokenStoreError';
  /** Stable machine-readable code. */
  readonly code = 'TOKEN_STORE_UNAVAILABLE';
  /**
   * Short, secret-free cause for logs and metrics: the SDK error name
   * (`ProvisionedThroughputExceededException`), a socket errno code
   * (`ECONNREFUSED`), `DEADLINE_EXCEEDED` or `ABORTED`.
   */
  readonly reason: string;

  constructor(message: string, reason: string, options: { readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
  }
}

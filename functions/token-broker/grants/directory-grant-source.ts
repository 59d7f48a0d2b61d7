/**
 * The grants directory: a DynamoDB table with one item per principal
 * (`user:<sub>`, `group:<name>`) whose string set lists that principal's
 * grant entries (docs/grants.md). A caller's grants are its claim's and the
 * directory's for its principals together. The lookup is started before
 * anything is awaited, so that it joins the token store's read of the same
 * request in one BatchGetItem (store/batch-get.ts).
 *
 * Fails closed: a directory that cannot be read grants nothing, and a
 * device the claim does not cover is then answered 503, never granted.
 */
import { GRANTS_TABLE_LAYOUT, PRINCIPAL_PATTERN, PRINCIPAL_PREFIXES } from '../contract.ts';
import { GrantsUnavailableError } from '../errors.ts';
import { describeError, type Logger } from '../log.ts';
import { METRICS, type Metrics } from '../metrics.ts';
import { type Grants, parseGrants } from '../scope.ts';
import type { BatchGet } from '../store/batch-get.ts';
import { callBudgetMs } from '../store/dynamodb-calls.ts';
import { type CallerIdentity, type GrantSource, IDENTITY_KINDS } from './grant-source.ts';

/** Seconds a caller is told to wait after the directory could not be read. */
export const GRANTS_RETRY_AFTER_SECONDS = 5;

/** Most principals whose grants are cached, when caching is on. */
const CACHE_MAX_PRINCIPALS = 10_000;

/** What {@link createDirectoryGrantSource} needs. */
export interface DirectoryGrantSourceOptions {
  /** The reader shared with the token store. */
  readonly batchGet: BatchGet;
  /** The table (`GRANTS_TABLE`). */
  readonly table: string;
  /** The claim's grants, joined with the directory's. */
  readonly claims: GrantSource;
  /** How long a principal's entries are reused, ms (`GRANTS_CACHE_SECONDS`); 0 reads every time. */
  readonly cacheMs: number;
  /** Time limit of one read, before the allowance per key (`TOKEN_STORE_TIMEOUT_MS`). */
  readonly timeoutMs: number;
  /**
   * What the token store's read of the same request waits for: its key and
   * the account's credentials. The directory read waits for it too, so that
   * on a cold container, where those come from Secrets Manager first, the
   * two reads still share one BatchGetItem; once they are cached it settles
   * in the same turn. It costs a token request no time, as it waits for both
   * anyway; the runtime asks for it once, so only a cold container's first
   * requests (a listing too) wait.
   * @default none: the read starts at once (no token store to join)
   */
  readonly readAfter?: () => Promise<unknown>;
  /** Clock, epoch ms. */
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * Most principals read for one caller: the user and 99 groups, one
 * BatchGetItem's worth. Groups past it are not read, so grant nothing.
 */
export const MAX_PRINCIPALS = 100;

/** The principals of `identity`, well formed ones only: a malformed one names no item. */
export function principalsOf(identity: CallerIdentity): string[] {
  const names = [
    ...(identity.sub === undefined ? [] : [PRINCIPAL_PREFIXES.user + identity.sub]),
    ...identity.groups.map((group) => PRINCIPAL_PREFIXES.group + group),
  ];
  return [...new Set(names)].filter((p) => PRINCIPAL_PATTERN.test(p)).slice(0, MAX_PRINCIPALS);
}

/** `claim` and `directory` together, each kept for the audit line. */
function union(claim: Grants, directory: Grants): Grants {
  return {
    all: claim.all || directory.all,
    products: new Set([...claim.products, ...directory.products]),
    devices: new Set([...claim.devices, ...directory.devices]),
    ignored: claim.ignored,
    sources: { claim, directory },
  };
}

/**
 * Creates the source.
 * @example
 * const source = createDirectoryGrantSource({ batchGet, table: 'grants', claims, cacheMs: 0, timeoutMs: 300, now: Date.now, logger, metrics });
 */
export function createDirectoryGrantSource(options: DirectoryGrantSourceOptions): GrantSource {
  const { batchGet, table, claims, cacheMs, now, logger, metrics } = options;
  const cache = new Map<string, { entries: string[]; until: number }>();

  /** Each principal's entries; cached ones are not read again. */
  const entriesOf = async (principals: readonly string[]): Promise<string[]> => {
    const at = now();
    const cached = principals.map((p) => cache.get(p)).filter((hit) => hit && hit.until > at);
    if (cached.length === principals.length) return cached.flatMap((hit) => hit?.entries ?? []);
    const items = await batchGet.get({
      table,
      keyName: GRANTS_TABLE_LAYOUT.partitionKey,
      keys: principals,
      // Revoked on the next request: an eventually consistent read could still see the grant.
      consistent: true,
      signal: AbortSignal.timeout(callBudgetMs(options.timeoutMs, principals.length)),
    });
    const found = new Map(
      items.map((item) => [
        item[GRANTS_TABLE_LAYOUT.partitionKey]?.S ?? '',
        item[GRANTS_TABLE_LAYOUT.entries]?.SS ?? [],
      ]),
    );
    if (cacheMs > 0) {
      for (const p of principals) {
        if (cache.size >= CACHE_MAX_PRINCIPALS) cache.delete(cache.keys().next().value as string);
        cache.set(p, { entries: found.get(p) ?? [], until: at + cacheMs });
      }
    }
    return principals.flatMap((p) => found.get(p) ?? []);
  };

  return {
    async grantsFor(identity) {
      const principals = identity.kind === IDENTITY_KINDS.iam ? [] : principalsOf(identity);
      // Started first, so that the read is queued in this turn, with the store's.
      const { readAfter } = options;
      const read =
        principals.length === 0
          ? undefined
          : readAfter === undefined
            ? entriesOf(principals)
            : readAfter().then(
                () => entriesOf(principals),
                () => entriesOf(principals),
              );
      read?.catch(() => {});
      const claim = await claims.grantsFor(identity);
      if (read === undefined) return claim;
      try {
        return union(claim, parseGrants(await read));
      } catch (error) {
        logger.warn('grants directory unreadable; only claim grants apply', describeError(error));
        metrics.add(METRICS.grantsUnavailable);
        const unavailable = new GrantsUnavailableError(
          'The grants directory could not be read',
          GRANTS_RETRY_AFTER_SECONDS,
          { cause: error },
        );
        return { ...claim, unavailable };
      }
    },
  };
}

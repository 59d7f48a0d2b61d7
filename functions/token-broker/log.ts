/**
 * Structured JSON-lines logging. Hand-written instead of Powertools Logger,
 * which adds about 23 KB minified to a bundle budgeted at 240 KB, for a
 * feature set (one JSON line, a level filter, the request's id) this file
 * covers. Callers pass only allow-listed fields; nothing here inspects
 * values for secrets.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogLevel } from './config.ts';

// The request being served, so that a line written deep in the upstream or
// the store, which knows nothing of requests, can still be tied to one.
const requestScope = new AsyncLocalStorage<string>();

/**
 * Runs `serve` as the serving of request `requestId`: every line logged
 * from it, and from the work it starts, carries `requestId`. A login that
 * several requests share carries the id of the request that started it.
 * @example
 * withRequestId(inv.requestId, () => broker.getTokens(devices, options));
 */
export const withRequestId = <T>(requestId: string, serve: () => T): T =>
  requestScope.run(requestId, serve);

/** Fields attached to a log line. Values must never be secrets. */
export type LogFields = Readonly<Record<string, unknown>>;

/** The logging port. */
export interface Logger {
  /** Logs at debug level. */
  debug(message: string, fields?: LogFields): void;
  /** Logs at info level. */
  info(message: string, fields?: LogFields): void;
  /** Logs at warn level. */
  warn(message: string, fields?: LogFields): void;
  /** Logs at error level. */
  error(message: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /**
   * Least severe level written.
   * @default 'info'
   */
  readonly level?: LogLevel;
  /**
   * Where each line goes.
   * @default process.stdout
   */
  readonly write?: (line: string) => void;
  /**
   * Clock for the timestamp.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** Creates a logger that writes one JSON object per line. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  // toISOString costs about as much as the rest of a line, and a request
  // writes its lines within the same millisecond: one string per millisecond.
  let stampedAt = Number.NaN;
  let stamp = '';
  const timestamp = () => {
    const at = now();
    if (at !== stampedAt) {
      stamp = new Date(at).toISOString();
      stampedAt = at;
    }
    return stamp;
  };
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (RANK[level] < threshold) return;
      // Joined as text: this runs twice per request on the warm path. A
      // requestId of `fields` wins over the scope's; an undefined one is left
      // out. Copied only when the scope's must be added.
      const scoped = requestScope.getStore();
      const own =
        scoped === undefined || (fields !== undefined && Object.hasOwn(fields, 'requestId'));
      const head = `{"timestamp":"${timestamp()}","level":"${level}","message":${JSON.stringify(message)}`;
      const rest = JSON.stringify(own ? (fields ?? {}) : { requestId: scoped, ...fields });
      write(rest === '{}' ? `${head}}` : `${head},${rest.slice(1)}`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The loggable summary of an error: its class, code and message, and those of
 * its causes. Never the stack's locals, never a value of the secret.
 */
export function describeError(error: unknown, depth = 0): LogFields {
  if (!(error instanceof Error)) return { errorType: typeof error };
  const code = (error as { code?: unknown }).code;
  return {
    errorName: error.name,
    ...(typeof code === 'string' ? { errorCode: code } : {}),
    errorMessage: error.message,
    // Bounded: a cause chain may loop back on itself.
    ...(error.cause === undefined || depth >= MAX_CAUSE_DEPTH
      ? {}
      : { cause: describeError(error.cause, depth + 1) }),
  };
}

const MAX_CAUSE_DEPTH = 4;

/**
 * `logger` with `fields` added to every line (an account's name), the
 * line's own fields winning.
 * @example
 * loggerWith(logger, { account: 'cn' }).warn('upstream attempt failed');
 */
export function loggerWith(logger: Logger, fields: LogFields): Logger {
  const add = (own?: LogFields) => (own === undefined ? fields : { ...fields, ...own });
  return {
    debug: (message, own) => logger.debug(message, add(own)),
    info: (message, own) => logger.info(message, add(own)),
    warn: (message, own) => logger.warn(message, add(own)),
    error: (message, own) => logger.error(message, add(own)),
  };
}

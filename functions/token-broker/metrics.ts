/**
 * CloudWatch metrics in Embedded Metric Format (EMF): JSON lines on stdout
 * that CloudWatch Logs turns into metrics, with no PutMetricData call and no
 * IAM permission beyond writing the function's own logs.
 *
 * Hand-written instead of Powertools Metrics, which adds about 15 KB minified
 * to a bundle budgeted at 200 KB (the SDK is most of it), for what this file
 * covers: a handful of counters, one optional dimension, one flush per
 * request. The format is a stable, documented JSON structure; a test
 * validates every line against the specification's structure.
 */

// Spelled once: each unit string repeated per metric is bytes in the bundle.
const COUNT = 'Count';
const MILLISECONDS = 'Milliseconds';
const NONE = 'None';

/** CloudWatch namespace of every broker metric. */
export const METRICS_NAMESPACE = 'VisualTokenBroker';

/** Dimension every metric carries: the Lambda function's name. */
export const FUNCTION_DIMENSION = 'FunctionName';

/** Second dimension of an account's metrics, with several accounts: the account's name. */
export const ACCOUNT_DIMENSION = 'Account';

/** Second dimension of per-code metrics. */
export const ERROR_CODE_DIMENSION = 'ErrorCode';

/** The metrics the broker emits, by name, with their unit. */
export const METRICS = {
  /** Tokens handed to callers. */
  tokensIssued: { name: 'TokensIssued', unit: COUNT },
  /** Devices served from the token cache. */
  cacheHits: { name: 'CacheHits', unit: COUNT },
  /** Devices not in the token cache. */
  cacheMisses: { name: 'CacheMisses', unit: COUNT },
  /** Upstream login calls started (retries are one call). */
  upstreamLogins: { name: 'UpstreamLogins', unit: COUNT },
  /** Wall time of one upstream login call, retries included. */
  upstreamLatency: { name: 'UpstreamLatency', unit: MILLISECONDS },
  /** Upstream login calls that failed, in total and by error code. */
  upstreamFailures: { name: 'UpstreamFailures', unit: COUNT },
  /** Reads of the secret from its store. */
  secretFetches: { name: 'SecretFetches', unit: COUNT },
  /** Reads of the secret that failed. */
  secretFetchFailures: { name: 'SecretFetchFailures', unit: COUNT },
  /** Requests served with a stale secret because a refresh failed. */
  staleSecretServed: { name: 'StaleSecretServed', unit: COUNT },
  /** Circuit breaker state at the end of a request: 0 closed, 1 open or half-open. */
  circuitOpen: { name: 'CircuitBreakerOpen', unit: NONE },
  /** Devices served from the fleet-wide token store (L2) after an in-process miss. */
  storeHits: { name: 'StoreHits', unit: COUNT },
  /** Devices the fleet-wide token store did not hold a usable token for. */
  storeMisses: { name: 'StoreMisses', unit: COUNT },
  /** Device leases this container took before logging in. */
  leasesTaken: { name: 'LeasesTaken', unit: COUNT },
  /** Devices that waited for another container's login (a live lease). */
  leaseWaits: { name: 'LeaseWaits', unit: COUNT },
  /** Leases taken over from a holder whose lease expired without a token. */
  leaseTakeovers: { name: 'LeaseTakeovers', unit: COUNT },
  /** Token store calls that failed, in total and by reason (the request was still served). */
  storeErrors: { name: 'StoreErrors', unit: COUNT },
  /** Stored items that could not be used, by reason (`sealed`, `typed`): tampering or a bad writer. */
  storeUnreadable: { name: 'StoreUnreadable', unit: COUNT },
  /** Wall time of one token store call. */
  storeLatency: { name: 'StoreLatency', unit: MILLISECONDS },
  /** Devices asked for with `refresh: true`. */
  refreshes: { name: 'Refreshes', unit: COUNT },
  /** Upstream logins made for a refresh. */
  refreshLogins: { name: 'RefreshLogins', unit: COUNT },
  /** The account's fleet-wide upstream logins this hour, as counted after a login. */
  fleetLoginsThisHour: { name: 'FleetLoginsThisHour', unit: NONE },
  /** Misses refused because the hourly login budget was spent (enforced budget only). */
  budgetExceeded: { name: 'LoginBudgetExceeded', unit: COUNT },
  /** Requests refused at once because another container opened the shared circuit. */
  sharedCircuitRefusals: { name: 'SharedCircuitRefusals', unit: COUNT },
  /** Requests whose grants directory lookup failed (only claim grants applied). */
  grantsUnavailable: { name: 'GrantsUnavailable', unit: COUNT },
} as const;

/** One of {@link METRICS}. */
export type MetricDefinition = (typeof METRICS)[keyof typeof METRICS];

/** The metrics port: collaborators record, the handler flushes once per request. */
export interface Metrics {
  /**
   * Records `value` of `metric`; with `errorCode`, under that code too.
   * @param value defaults to 1
   */
  add(metric: MetricDefinition, value?: number, errorCode?: string): void;
  /** Writes what was recorded since the last flush, tagged with `functionName`, and clears it. */
  flush(functionName: string): void;
  /**
   * A view that records each metric for the function and also under the
   * account `name` (the `Account` dimension); flushing it flushes all.
   * @default absent: an account's metrics are the function's
   */
  forAccount?(name: string): Metrics;
}

/** A metrics port that records nothing. */
export const NO_METRICS: Metrics = { add() {}, flush() {} };

/** Options of {@link createEmfMetrics}. */
export interface EmfMetricsOptions {
  /**
   * Where each EMF line goes.
   * @default process.stdout
   */
  readonly write?: (line: string) => void;
  /**
   * Clock for `_aws.Timestamp`, epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

const DEFINITION_JSON = new Map<MetricDefinition, string>(
  Object.values(METRICS).map((m) => [m, JSON.stringify({ Name: m.name, Unit: m.unit })]),
);
const FUNCTION_DIMENSIONS_JSON = JSON.stringify([[FUNCTION_DIMENSION]]);
const CODE_DIMENSIONS_JSON = JSON.stringify([[FUNCTION_DIMENSION, ERROR_CODE_DIMENSION]]);
// One value, published both for the function and for the account.
const ACCOUNT_DIMENSIONS_JSON = JSON.stringify([
  [FUNCTION_DIMENSION],
  [FUNCTION_DIMENSION, ACCOUNT_DIMENSION],
]);
/** Marks an account's key in the pending map; an error code never begins so. */
const ACCOUNT_KEY = '@';

/** A line's dimension sets and its second dimension's field, by pending key. */
function dimensionsOf(key: string): readonly [string, string] {
  if (key === '') return [FUNCTION_DIMENSIONS_JSON, ''];
  if (key.startsWith(ACCOUNT_KEY)) {
    return [ACCOUNT_DIMENSIONS_JSON, `,"${ACCOUNT_DIMENSION}":${JSON.stringify(key.slice(1))}`];
  }
  return [CODE_DIMENSIONS_JSON, `,"${ERROR_CODE_DIMENSION}":${JSON.stringify(key)}`];
}

/** EMF allows at most 100 values per metric per line. */
const MAX_VALUES = 100;

/** Creates the EMF metrics port. */
export function createEmfMetrics(options: EmfMetricsOptions = {}): Metrics {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  // Key: '' for the function-level set, else an error code.
  let pending = new Map<string, Map<MetricDefinition, number[]>>();

  // Written as text from precomputed parts: one line per request on the warm
  // path. Names and units are constants; values and dimension values go
  // through JSON.stringify.
  const line = (functionName: string, code: string, values: Map<MetricDefinition, number[]>) => {
    let definitions = '';
    let fields = '';
    for (const [metric, list] of values) {
      definitions += `${definitions === '' ? '' : ','}${DEFINITION_JSON.get(metric)}`;
      const value = list.length === 1 ? list[0] : list.slice(0, MAX_VALUES);
      fields += `,"${metric.name}":${JSON.stringify(value)}`;
    }
    const [dimensions, codeField] = dimensionsOf(code);
    write(
      `{"_aws":{"Timestamp":${now()},"CloudWatchMetrics":[{"Namespace":"${METRICS_NAMESPACE}","Dimensions":${dimensions},"Metrics":[${definitions}]}]},"${FUNCTION_DIMENSION}":${JSON.stringify(functionName)}${codeField}${fields}}`,
    );
  };

  const record = (key: string, metric: MetricDefinition, value: number) => {
    let set = pending.get(key);
    if (set === undefined) {
      set = new Map();
      pending.set(key, set);
    }
    const list = set.get(metric);
    // Counters add up; a list is kept only for distributions (latency).
    if (list === undefined) set.set(metric, [value]);
    else if (metric.unit === 'Count') list[0] = (list[0] ?? 0) + value;
    else if (metric.unit === 'None') list[0] = value;
    else list.push(value);
  };

  const flush = (functionName: string) => {
    const batch = pending;
    pending = new Map();
    // A dimension without a value would void the whole line.
    const name = functionName || 'unknown';
    for (const [code, values] of batch) line(name, code, values);
  };
  // The function-level set is '' alone, or an account's line, never both:
  // CloudWatch adds the account lines up for the function.
  const view = (key: string): Metrics => ({
    add(metric, value = 1, errorCode) {
      record(key, metric, value);
      if (errorCode !== undefined) record(errorCode, metric, value);
    },
    flush,
    forAccount: (name) => view(`${ACCOUNT_KEY}${name}`),
  });
  return view('');
}

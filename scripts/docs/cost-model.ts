/**
 * What a deployment costs a month for a stated load, computed rather than
 * typed, so that a changed assumption or price changes every figure that
 * depends on it. Prices are written here, never looked up: AWS's published
 * on-demand list prices for us-east-1 as known when this was written (2025),
 * without any free tier. The generated section of docs/operations.md shows
 * the assumptions, the prices and the result (`npm run docs`).
 */
import { METRICS } from '../../functions/token-broker/metrics.ts';

/** The load and the deployment the estimate is for. */
export interface CostAssumptions {
  /** Token requests a month, over HTTP, one device each. */
  readonly requests: number;
  /** Share of requests served from the container's own cache (L1). */
  readonly l1HitRatio: number;
  /** Share of L1 misses that the token store (L2) holds; the rest log in upstream. */
  readonly l2HitRatio: number;
  /** Function memory, GB. */
  readonly memoryGb: number;
  /** Billed duration of a request, ms, by how it is served. */
  readonly durationMs: { readonly l1Hit: number; readonly l2Hit: number; readonly login: number };
  /** Cold starts a month, and the billed init duration of each, ms. */
  readonly coldStarts: number;
  readonly initMs: number;
  /** Containers kept warm all month, each refreshing its secrets once per cache period. */
  readonly warmContainers: number;
  /** The secret cache period (`SECRET_CACHE_SECONDS`). */
  readonly secretCacheSeconds: number;
  /** Secrets the function reads: the credentials and the token store key. */
  readonly secrets: number;
  /** DynamoDB units: read units per L1 miss, write units per login. */
  readonly readUnitsPerMiss: number;
  readonly writeUnitsPerLogin: number;
  /** Bytes logged per request, by log line, as measured with `npm start`. */
  readonly logBytes: {
    readonly requestLine: number;
    readonly emfHit: number;
    readonly emfMiss: number;
    readonly platform: number;
    readonly accessLog: number;
  };
  /** Custom metrics that receive data every hour under this load. */
  readonly customMetrics: readonly string[];
  /** Alarms and dashboards of the stack. */
  readonly alarms: number;
  readonly dashboards: number;
}

/** The stated load: 1M single-device requests a month, 90 % L1 hits, 80 % of the rest from L2. */
export const COST_ASSUMPTIONS: CostAssumptions = {
  requests: 1_000_000,
  l1HitRatio: 0.9,
  l2HitRatio: 0.8,
  memoryGb: 0.5,
  // A hit is microseconds of handler work (docs/performance.md), so Lambda's own
  // overhead and the log writes set its billed time; a login waits on the provider.
  durationMs: { l1Hit: 5, l2Hit: 25, login: 400 },
  coldStarts: 1_000,
  initMs: 300,
  warmContainers: 2,
  secretCacheSeconds: 300,
  secrets: 2,
  // One strongly consistent BatchGetItem per L1 miss: the device, the circuit
  // marker and the hour's counter, 1 unit each (items under 4 KB); a login adds
  // the lease and the token write, 1 unit each (items under 1 KB): docs/fleet.md.
  readUnitsPerMiss: 3,
  writeUnitsPerLogin: 2,
  // Request line 323–325 B; EMF 355 B on a hit and 547 B on a miss (npm start);
  // START, END and REPORT lines ≈ 400 B; the access log line ≈ 330 B.
  logBytes: { requestLine: 325, emfHit: 355, emfMiss: 547, platform: 400, accessLog: 330 },
  customMetrics: [
    METRICS.tokensIssued.name,
    METRICS.cacheHits.name,
    METRICS.cacheMisses.name,
    METRICS.upstreamLogins.name,
    METRICS.upstreamLatency.name,
    METRICS.secretFetches.name,
    METRICS.circuitOpen.name,
    METRICS.storeHits.name,
    METRICS.storeMisses.name,
    METRICS.leasesTaken.name,
    METRICS.storeLatency.name,
  ],
  // Seven, plus the store's errors alarm (no login budget): docs/operations.md#alarms.
  alarms: 8,
  dashboards: 1,
};

/** Prices in US dollars: us-east-1, on demand, no free tier. */
export const PRICES = {
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  httpApiPerMillionRequests: 1.0,
  dynamoDbPerMillionReadUnits: 0.125,
  dynamoDbPerMillionWriteUnits: 0.625,
  secretPerMonth: 0.4,
  secretsManagerPer10kCalls: 0.05,
  logsPerGbIngested: 0.5,
  customMetricPerMonth: 0.3,
  alarmPerMonth: 0.1,
  dashboardPerMonth: 3.0,
  xrayPerMillionTraces: 5.0,
} as const;

/** The prices' type: every key of {@link PRICES}, as a number. */
export type Prices = { readonly [K in keyof typeof PRICES]: number };

/** One line of the estimate: the service, what is counted, how many, and dollars. */
export interface CostLine {
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly dollars: number;
}

/**
 * The share of requests X-Ray's default rule traces (the first request each
 * second, then 5 %), for requests arriving at random at `perSecond`.
 */
export function tracedShare(perSecond: number): number {
  const atLeastOne = 1 - Math.exp(-perSecond);
  return (atLeastOne + 0.05 * (perSecond - atLeastOne)) / perSecond;
}

const SECONDS_A_MONTH = 30 * 24 * 3600;

/** The monthly cost lines for `a` at `p`. */
export function estimateCosts(
  a: CostAssumptions = COST_ASSUMPTIONS,
  p: Prices = PRICES,
): CostLine[] {
  const misses = a.requests * (1 - a.l1HitRatio);
  const l2Hits = misses * a.l2HitRatio;
  const logins = misses - l2Hits;
  const hits = a.requests - misses;
  const d = a.durationMs;
  const gbSeconds =
    (a.memoryGb *
      (hits * d.l1Hit + l2Hits * d.l2Hit + logins * d.login + a.coldStarts * a.initMs)) /
    1000;
  const refreshes = a.warmContainers * (SECONDS_A_MONTH / a.secretCacheSeconds);
  // Counted as one call per secret a BatchGetSecretValue returns: the dearer reading.
  const secretCalls = (a.coldStarts + refreshes) * a.secrets;
  const b = a.logBytes;
  const logBytes =
    a.requests * (b.requestLine + b.platform + b.accessLog) + hits * b.emfHit + misses * b.emfMiss;
  const traces = a.requests * tracedShare(a.requests / SECONDS_A_MONTH);
  const line = (service: string, item: string, quantity: number, unit: string, dollars: number) =>
    ({ service, item, quantity, unit, dollars }) satisfies CostLine;
  return [
    line(
      'Lambda',
      'requests',
      a.requests,
      'requests',
      (a.requests / 1e6) * p.lambdaPerMillionRequests,
    ),
    line(
      'Lambda',
      'duration (arm64), init included',
      gbSeconds,
      'GB-s',
      gbSeconds * p.lambdaArmPerGbSecond,
    ),
    line(
      'API Gateway',
      'HTTP API requests',
      a.requests,
      'requests',
      (a.requests / 1e6) * p.httpApiPerMillionRequests,
    ),
    line(
      'DynamoDB',
      'read request units',
      misses * a.readUnitsPerMiss,
      'RRU',
      ((misses * a.readUnitsPerMiss) / 1e6) * p.dynamoDbPerMillionReadUnits,
    ),
    line(
      'DynamoDB',
      'write request units',
      logins * a.writeUnitsPerLogin,
      'WRU',
      ((logins * a.writeUnitsPerLogin) / 1e6) * p.dynamoDbPerMillionWriteUnits,
    ),
    line(
      'Secrets Manager',
      'API calls',
      secretCalls,
      'calls',
      (secretCalls / 1e4) * p.secretsManagerPer10kCalls,
    ),
    line('Secrets Manager', 'secrets', a.secrets, 'secrets', a.secrets * p.secretPerMonth),
    line(
      'CloudWatch',
      'log ingestion',
      logBytes / 1e9,
      'GB',
      (logBytes / 1e9) * p.logsPerGbIngested,
    ),
    line(
      'CloudWatch',
      'custom metrics (EMF)',
      a.customMetrics.length,
      'metrics',
      a.customMetrics.length * p.customMetricPerMonth,
    ),
    line('CloudWatch', 'alarms', a.alarms, 'alarms', a.alarms * p.alarmPerMonth),
    line('CloudWatch', 'dashboard', a.dashboards, 'dashboard', a.dashboards * p.dashboardPerMonth),
    line('X-Ray', 'traces recorded', traces, 'traces', (traces / 1e6) * p.xrayPerMillionTraces),
  ];
}

/** The upstream logins of the load: the requests neither tier holds. */
export const loginsOf = (a: CostAssumptions = COST_ASSUMPTIONS): number =>
  a.requests * (1 - a.l1HitRatio) * (1 - a.l2HitRatio);

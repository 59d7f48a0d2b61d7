/**
 * Per-process counters behind the local server's `GET /__local/stats`: a
 * wrapper around the metrics port that passes every call on and keeps a
 * running total per metric, so `npm run fleet` can show what each
 * "container" did (L1 hits, L2 hits, leases, logins) without parsing EMF.
 */
import { METRICS, type MetricDefinition, type Metrics } from '../token-broker/metrics.ts';

/** Metric key of {@link METRICS} (`cacheHits`, `storeHits`, …). */
export type MetricKey = keyof typeof METRICS;

/** A metrics port that also counts. */
export interface CountingMetrics extends Metrics {
  /**
   * Totals since start, by metric key: counters summed, gauges (unit
   * `None`) at their last value. Latencies are distributions, not counts,
   * and are left out.
   */
  counts(): Record<string, number>;
}

const KEY_OF = new Map<MetricDefinition, MetricKey>(
  (Object.entries(METRICS) as [MetricKey, MetricDefinition][]).map(([key, m]) => [m, key]),
);

/** Wraps `inner`, counting every value added (a per-code value once, under its metric). */
export function countingMetrics(inner: Metrics): CountingMetrics {
  const totals = new Map<MetricKey, number>();
  for (const [metric, key] of KEY_OF) {
    if (metric.unit !== 'Milliseconds') totals.set(key, 0);
  }
  return {
    add(metric, value = 1, errorCode) {
      const key = KEY_OF.get(metric);
      if (key !== undefined && metric.unit === 'Count') {
        totals.set(key, (totals.get(key) ?? 0) + value);
      } else if (key !== undefined && metric.unit === 'None') {
        totals.set(key, value);
      }
      inner.add(metric, value, errorCode);
    },
    flush(functionName) {
      inner.flush(functionName);
    },
    counts: () => Object.fromEntries(totals),
  };
}

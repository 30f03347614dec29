/** Small statistics for load test figures: nearest-rank percentiles and a latency summary. */

/**
 * The nearest-rank `p`-th percentile (0 < p ≤ 100) of `values`: the smallest value with at
 * least p % of the values at or below it. NaN for no values.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`Expected p in (0, 100], but got ${p}`);
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}

/** Percentiles and maximum of a set of latencies, in milliseconds (null without values). */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** Summarises `valuesMs`, rounded to 0.1 ms. */
export function latencySummary(valuesMs: readonly number[]): LatencySummary {
  const round = (v: number) => Number.isNaN(v) ? null : Math.round(v * 10) / 10;
  return {
    count: valuesMs.length,
    p50: round(percentile(valuesMs, 50)),
    p90: round(percentile(valuesMs, 90)),
    p99: round(percentile(valuesMs, 99)),
    max: round(valuesMs.length ? Math.max(...valuesMs) : NaN),
  };
}

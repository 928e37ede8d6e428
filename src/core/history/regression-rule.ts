import type { WorseWhen } from './headline-metrics.ts';

// The regression rule (docs/history.md#regressions), over one series: the points of one schedule,
// target, region and metric, oldest first, each from a successful run.

/** Points the baseline is the median of. */
export const BASELINE_POINTS = 7;
/** Fewer earlier points than this: no baseline, so no flag. */
export const MIN_BASELINE_POINTS = 3;
/** The band is at least this fraction of the baseline … */
export const MIN_BAND_FRACTION = 0.05;
/** … and at least this many median absolute deviations. */
export const BAND_MADS = 3;

export interface SeriesPoint {
  value: number;
  /** The point's own interval, when its measurement gives one. */
  lo?: number | null | undefined;
  hi?: number | null | undefined;
}

export type RegressionReason = 'outside_band_twice' | 'interval_excludes_baseline';

export interface RegressionFlag {
  /** Index of the flagged point in the series. */
  index: number;
  reason: RegressionReason;
  value: number;
  baseline: number;
  band: number;
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median of up to the last 7 values, and the band max(3·MAD, 5% of it); null with fewer than 3. */
export function baselineOf(values: readonly number[]): { baseline: number; band: number } | null {
  const window = values.slice(-BASELINE_POINTS);
  if (window.length < MIN_BASELINE_POINTS) return null;
  const baseline = median([...window].sort((a, b) => a - b));
  const mad = median(window.map((v) => Math.abs(v - baseline)).sort((a, b) => a - b));
  return { baseline, band: Math.max(BAND_MADS * mad, MIN_BAND_FRACTION * Math.abs(baseline)) };
}

/**
 * Flags regressions in a series. Each point is judged against the baseline of the points before
 * it, on the worse side only. A point is flagged when it and the point before it are both outside
 * their bands (once per excursion: the second point of it), or at once when its own interval lies
 * wholly on the worse side of the baseline.
 */
export function regressionFlags(series: readonly SeriesPoint[], worseWhen: WorseWhen): RegressionFlag[] {
  const flags: RegressionFlag[] = [];
  const worse = (value: number, limit: number) => (worseWhen === 'higher' ? value > limit : value < limit);
  let streak = 0;
  for (let i = 0; i < series.length; i++) {
    const point = series[i] as SeriesPoint;
    const base = baselineOf(series.slice(0, i).map((p) => p.value));
    if (base === null) {
      streak = 0;
      continue;
    }
    const { baseline, band } = base;
    const limit = worseWhen === 'higher' ? baseline + band : baseline - band;
    streak = worse(point.value, limit) ? streak + 1 : 0;
    const near = worseWhen === 'higher' ? point.lo : point.hi;
    const flag = { index: i, value: point.value, baseline, band };
    if (near !== null && near !== undefined && worse(near, baseline)) {
      flags.push({ ...flag, reason: 'interval_excludes_baseline' });
    } else if (streak === 2) {
      flags.push({ ...flag, reason: 'outside_band_twice' });
    }
  }
  return flags;
}

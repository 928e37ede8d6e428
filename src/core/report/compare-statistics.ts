import { percentileSorted } from '../metrics/percentile.ts';
import { Z_95 } from '../search/wilson-interval.ts';

// The confidence intervals `fluidbench compare` puts on a run's headline figures (docs/compare.md).
// Every formula of the comparison is here. All intervals are two-sided at 95%. An interval side
// the data cannot bound (too few samples for a tail percentile) is ±Infinity.

/** Two-sided confidence level of every interval below. */
export const CONFIDENCE_LEVEL = 0.95;

export interface Interval {
  lo: number;
  hi: number;
}

/** The whole line: the data say nothing. */
export const UNBOUNDED: Interval = { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY };

/**
 * P(B ≤ k) for every k = 0…n of B ~ Binomial(n, q), summed in log space (no underflow of (1−q)^n
 * for large n; terms too small for a double simply add 0). O(n).
 */
export function binomialCdf(n: number, q: number): Float64Array {
  const cdf = new Float64Array(n + 1);
  if (q <= 0) return cdf.fill(1);
  if (q >= 1) {
    cdf[n] = 1;
    return cdf;
  }
  const logRatio = Math.log(q) - Math.log1p(-q);
  let logPmf = n * Math.log1p(-q);
  let sum = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logPmf += Math.log((n - k + 1) / k) + logRatio;
    sum += Math.exp(logPmf);
    cdf[k] = Math.min(1, sum);
  }
  return cdf;
}

/**
 * Distribution-free confidence interval for the q-quantile from n i.i.d. samples: the 1-based ranks
 * (l, u) of the order statistics with P(x₍l₎ ≤ ξ_q ≤ x₍u₎) ≥ level. The number of samples below ξ_q
 * is Binomial(n, q), so l is the largest rank with P(B ≤ l−1) ≤ α/2 and u the smallest with
 * P(B ≤ u−1) ≥ 1−α/2. l = 0 or u = n+1 mean that side is unbounded.
 */
export function quantileRanks(n: number, q: number, level = CONFIDENCE_LEVEL): { l: number; u: number } {
  if (n <= 0) return { l: 0, u: 1 };
  const alphaHalf = (1 - level) / 2;
  const cdf = binomialCdf(n, q);
  let l = 0;
  for (let k = 1; k <= n; k++) {
    if (cdf[k - 1]! <= alphaHalf) l = k;
    else break;
  }
  let u = n + 1;
  for (let k = Math.max(1, l); k <= n; k++) {
    if (cdf[k - 1]! >= 1 - alphaHalf) {
      u = k;
      break;
    }
  }
  return { l, u };
}

/** The order-statistic interval of the q-quantile of ascending-sorted values (see quantileRanks). */
export function quantileIntervalSorted(sorted: ArrayLike<number>, q: number): Interval {
  const n = sorted.length;
  if (n === 0) return UNBOUNDED;
  const { l, u } = quantileRanks(n, q);
  return {
    lo: l >= 1 ? sorted[l - 1]! : Number.NEGATIVE_INFINITY,
    hi: u <= n ? sorted[u - 1]! : Number.POSITIVE_INFINITY,
  };
}

/** Normal-approximation (central limit) interval of a mean: mean ± z·s/√n; unbounded below 2 values. */
export function meanIntervalClt(values: ArrayLike<number>, z = Z_95): Interval {
  const n = values.length;
  if (n < 2) return UNBOUNDED;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  const half = z * Math.sqrt(squares / (n - 1) / n);
  return { lo: mean - half, hi: mean + half };
}

/**
 * Interval of a ratio Σmissed / Σtotal over clusters (requests), each contributing several
 * correlated trials (deadlines): the ratio estimator's linearized (delta-method) variance,
 * Var(R) ≈ Σ(mᵢ − R·tᵢ)² / (n(n−1)·t̄²), so requests, not deadlines, are the independent units.
 * Clamped to [0, 1]; unbounded below 2 clusters or with no trial at all.
 */
export function clusteredRatioInterval(
  missed: ArrayLike<number>,
  total: ArrayLike<number>,
  z = Z_95,
): Interval {
  const n = missed.length;
  let m = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    m += missed[i]!;
    t += total[i]!;
  }
  if (n < 2 || t <= 0) return UNBOUNDED;
  const ratio = m / t;
  const meanTotal = t / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (missed[i]! - ratio * total[i]!) ** 2;
  const half = (z * Math.sqrt(squares / (n * (n - 1)))) / meanTotal;
  return { lo: Math.max(0, ratio - half), hi: Math.min(1, ratio + half) };
}

/**
 * Interval of the q-quantile of values that come in correlated clusters (the token gaps of one
 * request), by Woodruff's method: the fraction of all values at or below the estimate x̂_q is a
 * ratio over clusters, Σ#(≤ x̂ in cluster i) / Σ(size of cluster i), whose clustered interval
 * [p_lo, p_hi] (clusteredRatioInterval) is mapped back through the empirical quantile function:
 * [x̂(p_lo), x̂(p_hi)]. A side the ratio interval cannot bound (p_lo ≤ 0, p_hi ≥ 1) is unbounded.
 * The answer is widened to contain the order-statistic interval of the values taken as
 * independent, so clustering can only widen it. `sorted`: all values ascending; `clusters`: the
 * same values grouped (any order within a cluster).
 */
export function clusteredQuantileInterval(
  sorted: ArrayLike<number>,
  clusters: readonly ArrayLike<number>[],
  q: number,
): Interval {
  const independent = quantileIntervalSorted(sorted, q);
  const estimate = percentileSorted(sorted, q);
  if (estimate === null || clusters.length < 2) return UNBOUNDED;
  const below = new Float64Array(clusters.length);
  const sizes = new Float64Array(clusters.length);
  for (const [i, cluster] of clusters.entries()) {
    let k = 0;
    for (let j = 0; j < cluster.length; j++) if (cluster[j]! <= estimate) k += 1;
    below[i] = k;
    sizes[i] = cluster.length;
  }
  const p = clusteredRatioInterval(below, sizes);
  const lo = p.lo <= 0 ? Number.NEGATIVE_INFINITY : percentileSorted(sorted, p.lo)!;
  const hi = p.hi >= 1 ? Number.POSITIVE_INFINITY : percentileSorted(sorted, p.hi)!;
  return { lo: Math.min(lo, independent.lo), hi: Math.max(hi, independent.hi) };
}

/** The interval of 1/x for x > 0 in `interval` (a rate from a time): the ends swap. */
export function reciprocalInterval(interval: Interval): Interval {
  const inv = (x: number) => (x > 0 ? 1 / x : Number.POSITIVE_INFINITY);
  return { lo: Number.isFinite(interval.hi) ? inv(interval.hi) : 0, hi: inv(interval.lo) };
}

/** The interval cut to the metric's range [min, max] (a fraction's unbounded side stops at 0 or 1). */
export function clampInterval(interval: Interval, min: number, max: number): Interval {
  return { lo: Math.min(max, Math.max(min, interval.lo)), hi: Math.max(min, Math.min(max, interval.hi)) };
}

/** Whether two intervals share no point: the difference is larger than the runs' own uncertainty. */
export function intervalsDisjoint(a: Interval, b: Interval): boolean {
  return a.hi < b.lo || b.hi < a.lo;
}

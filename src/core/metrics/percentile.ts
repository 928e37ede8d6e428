/**
 * Exact percentile of ascending-sorted values by linear interpolation between closest ranks
 * (Hyndman–Fan type 7, numpy's default). `q` in [0, 1]. Null for an empty set.
 */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const low = sorted[lo] as number;
  if (lo + 1 >= n) return low;
  const high = sorted[lo + 1] as number;
  return low + (h - lo) * (high - low);
}

/** Exact type-7 percentile of unsorted values (copies, sorts numerically). */
export function percentile(values: ArrayLike<number>, q: number): number | null {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return percentileSorted(sorted, q);
}

import type { FractionInterval } from './search-protocol.ts';

/** Two-sided 95% normal quantile. */
export const Z_95 = 1.959963984540054;

/**
 * Wilson score interval for a fraction of `bad` out of `n` (95% by default). Unlike the normal
 * approximation it stays inside [0, 1] and is honest at 0 or n bad. n = 0 gives [0, 1].
 */
export function wilsonInterval(bad: number, n: number, z = Z_95): FractionInterval {
  if (n <= 0) return { lo: 0, hi: 1 };
  const p = bad / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // exact at the ends (the formula leaves rounding dust there)
  return { lo: bad === 0 ? 0 : Math.max(0, center - half), hi: bad === n ? 1 : Math.min(1, center + half) };
}

/** Which side of `threshold` the interval lies wholly on, or null when it straddles it. */
export function intervalSide(interval: FractionInterval, threshold: number): 'below' | 'above' | null {
  if (interval.hi < threshold) return 'below';
  if (interval.lo > threshold) return 'above';
  return null;
}

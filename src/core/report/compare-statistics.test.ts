import { describe, expect, it } from 'vitest';
import { percentileSorted } from '../metrics/percentile.ts';
import { wilsonInterval } from '../search/wilson-interval.ts';
import { createRandom } from '../workload/seeded-random.ts';
import {
  binomialCdf,
  clusteredQuantileInterval,
  clusteredRatioInterval,
  intervalsDisjoint,
  meanIntervalClt,
  quantileIntervalSorted,
  quantileRanks,
  reciprocalInterval,
} from './compare-statistics.ts';

/** C(n, k) q^k (1-q)^(n-k) summed directly, for small n. */
function directCdf(n: number, q: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let k = 0; k <= n; k++) {
    let c = 1;
    for (let j = 1; j <= k; j++) c = (c * (n - k + j)) / j;
    sum += c * q ** k * (1 - q) ** (n - k);
    out.push(sum);
  }
  return out;
}

describe('binomialCdf', () => {
  it('matches the direct sum for small n and stays finite for large n', () => {
    for (const [n, q] of [
      [10, 0.5],
      [25, 0.01],
      [40, 0.99],
    ] as const) {
      const cdf = binomialCdf(n, q);
      for (const [k, v] of directCdf(n, q).entries()) expect(cdf[k]).toBeCloseTo(v, 12);
    }
    // (1/2)^5000 underflows a double; the log-space sum does not lose the mass.
    const big = binomialCdf(5000, 0.5);
    expect(big[2500]).toBeGreaterThan(0.5);
    expect(big[2500]).toBeLessThan(0.52);
    expect(big[5000]).toBeCloseTo(1, 9);
  });
});

describe('quantileRanks', () => {
  it('gives the textbook ranks for the median of 100 (40 and 61)', () => {
    expect(quantileRanks(100, 0.5)).toEqual({ l: 40, u: 61 });
  });

  it('cannot bound a p99 from the top with too few samples', () => {
    // P(all n below the p99) = 0.99^n > 2.5% up to n = 367: no order statistic is high enough.
    expect(quantileRanks(367, 0.99).u).toBe(368);
    expect(quantileRanks(368, 0.99).u).toBe(368);
    expect(
      quantileIntervalSorted(
        Float64Array.from({ length: 50 }, (_, i) => i),
        0.99,
      ).hi,
    ).toBe(Number.POSITIVE_INFINITY);
  });

  it('covers the true quantile at least 95% of the time (seeded, 2,000 samples of 400)', () => {
    const random = createRandom(11);
    for (const q of [0.5, 0.99]) {
      const truth = -Math.log(1 - q); // exponential(1) quantile
      let covered = 0;
      for (let t = 0; t < 2000; t++) {
        const xs = Float64Array.from({ length: 400 }, () => -Math.log(1 - random.next())).sort();
        const { lo, hi } = quantileIntervalSorted(xs, q);
        if (lo <= truth && truth <= hi) covered += 1;
      }
      expect(covered / 2000).toBeGreaterThanOrEqual(0.94);
      expect(covered / 2000).toBeLessThanOrEqual(0.99);
    }
  });

  it('contains the type-7 point estimate', () => {
    const random = createRandom(3);
    const xs = Float64Array.from({ length: 1000 }, () => random.next()).sort();
    for (const q of [0.01, 0.5, 0.99]) {
      const { lo, hi } = quantileIntervalSorted(xs, q);
      const p = percentileSorted(xs, q)!;
      expect(lo).toBeLessThanOrEqual(p);
      expect(hi).toBeGreaterThanOrEqual(p);
    }
  });
});

describe('meanIntervalClt', () => {
  it('is mean ± 1.96 s/√n and covers a known mean about 95% of the time', () => {
    const { lo, hi } = meanIntervalClt([1, 2, 3, 4, 5]);
    const half = (1.959963984540054 * Math.sqrt(2.5)) / Math.sqrt(5);
    expect(lo).toBeCloseTo(3 - half, 12);
    expect(hi).toBeCloseTo(3 + half, 12);
    expect(meanIntervalClt([1]).lo).toBe(Number.NEGATIVE_INFINITY);
    const random = createRandom(5);
    let covered = 0;
    for (let t = 0; t < 2000; t++) {
      const xs = Array.from({ length: 200 }, () => -Math.log(1 - random.next()));
      const i = meanIntervalClt(xs);
      if (i.lo <= 1 && 1 <= i.hi) covered += 1;
    }
    expect(covered / 2000).toBeGreaterThan(0.93);
    expect(covered / 2000).toBeLessThan(0.97);
  });
});

describe('clusteredRatioInterval', () => {
  it('is wider than a Wilson interval over deadlines when misses come in whole requests', () => {
    // 200 requests of 50 deadlines: 20 miss every deadline, the rest none (rate 10%).
    const missed = Array.from({ length: 200 }, (_, i) => (i < 20 ? 50 : 0));
    const total = Array.from({ length: 200 }, () => 50);
    const clustered = clusteredRatioInterval(missed, total);
    const naive = wilsonInterval(1000, 10_000);
    expect(clustered.lo).toBeLessThan(0.1);
    expect(clustered.hi).toBeGreaterThan(0.1);
    expect(clustered.hi - clustered.lo).toBeGreaterThan(3 * (naive.hi - naive.lo));
    // Spread evenly (every request misses 5 of 50) there is no between-request variance.
    const even = clusteredRatioInterval(
      Array.from({ length: 200 }, () => 5),
      total,
    );
    expect(even.lo).toBeCloseTo(0.1, 12);
    expect(even.hi).toBeCloseTo(0.1, 12);
  });
});

describe('clusteredQuantileInterval', () => {
  /** Requests with their own speed (log-normal factor), 40 gaps each: gaps cluster by request. */
  function requests(random: ReturnType<typeof createRandom>, n: number): Float64Array[] {
    return Array.from({ length: n }, () => {
      const normal = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
      const speed = Math.exp(0.8 * normal);
      return Float64Array.from({ length: 40 }, () => speed * (0.5 + random.next()));
    });
  }
  const flat = (clusters: Float64Array[]) => Float64Array.from(clusters.flatMap((c) => [...c])).sort();

  it('covers a p99 of clustered values about 95% of the time, where the independent interval does not', () => {
    const random = createRandom(21);
    const truth = percentileSorted(flat(requests(random, 50_000)), 0.99)!;
    let clustered = 0;
    let independent = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const sample = requests(random, 100);
      const sorted = flat(sample);
      const c = clusteredQuantileInterval(sorted, sample, 0.99);
      const i = quantileIntervalSorted(sorted, 0.99);
      if (c.lo <= truth && truth <= c.hi) clustered += 1;
      if (i.lo <= truth && truth <= i.hi) independent += 1;
      expect(c.lo).toBeLessThanOrEqual(i.lo);
      expect(c.hi).toBeGreaterThanOrEqual(i.hi);
    }
    expect(clustered / trials).toBeGreaterThan(0.88);
    expect(independent / trials).toBeLessThan(clustered / trials - 0.1);
  });
});

describe('interval helpers', () => {
  it('reciprocal swaps the ends; disjoint means no shared point', () => {
    expect(reciprocalInterval({ lo: 0.01, hi: 0.02 })).toEqual({ lo: 50, hi: 100 });
    expect(reciprocalInterval({ lo: 0.01, hi: Number.POSITIVE_INFINITY })).toEqual({ lo: 0, hi: 100 });
    expect(intervalsDisjoint({ lo: 0, hi: 1 }, { lo: 1.5, hi: 2 })).toBe(true);
    expect(intervalsDisjoint({ lo: 0, hi: 1 }, { lo: 1, hi: 2 })).toBe(false);
    expect(intervalsDisjoint({ lo: 0, hi: Number.POSITIVE_INFINITY }, { lo: 5, hi: 6 })).toBe(false);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../workload/seeded-random.ts';
import { baselineOf, regressionFlags, type SeriesPoint } from './regression-rule.ts';

/** `n` points around `level`, each scaled by a seeded uniform factor in [1 − spread, 1 + spread]. */
function noisy(seed: number, n: number, level: number, spread: number): SeriesPoint[] {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => ({ value: level * (1 + spread * (2 * random.next() - 1)) }));
}

describe('regressionFlags', () => {
  it('flags a sustained 20% TTFT rise on its second point, once', () => {
    for (let seed = 0; seed < 50; seed++) {
      const series = [...noisy(seed, 10, 0.5, 0.02), ...noisy(seed + 1000, 5, 0.6, 0.02)];
      const flags = regressionFlags(series, 'higher');
      expect(flags.map((f) => [f.index, f.reason])).toEqual([[11, 'outside_band_twice']]);
      expect(flags[0]?.baseline).toBeCloseTo(0.5, 1);
    }
  });

  it('ignores the better direction', () => {
    const series = [...noisy(1, 10, 0.5, 0.02), ...noisy(2, 5, 0.4, 0.02)];
    expect(regressionFlags(series, 'higher')).toEqual([]);
    expect(regressionFlags(series, 'lower').map((f) => f.index)).toEqual([11]);
  });

  it('never flags i.i.d. noise within ±2.4% (the widest the 5% floor guarantees)', () => {
    // Baseline ≥ 97.6 so the band ≥ 4.88, and no point is more than 4.8 from any baseline.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom('higher', 'lower'), (seed, worse) => {
        expect(regressionFlags(noisy(seed, 40, 100, 0.024), worse)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('rarely flags i.i.d. noise within ±4% (under 1 in 200 judged points over 500 seeds)', () => {
    // The median of 7 wanders, so two points in a row can fall just outside: measured ≈ 0.16%.
    let flags = 0;
    let judged = 0;
    for (let seed = 0; seed < 500; seed++) {
      const series = noisy(seed, 40, 100, 0.04);
      flags += regressionFlags(series, 'higher').length + regressionFlags(series, 'lower').length;
      judged += 2 * (series.length - 3);
    }
    expect(flags / judged).toBeLessThan(1 / 200);
  });

  it('does not flag a one-off spike', () => {
    const series = noisy(3, 15, 1, 0.02);
    series[9] = { value: 3 };
    expect(regressionFlags(series, 'higher')).toEqual([]);
  });

  it('flags at once a point whose own interval excludes the baseline', () => {
    const series: SeriesPoint[] = [...noisy(4, 8, 100, 0.02), { value: 80, lo: 76, hi: 84 }];
    const flags = regressionFlags(series, 'lower');
    expect(flags.map((f) => [f.index, f.reason])).toEqual([[8, 'interval_excludes_baseline']]);
    // The same drop with an interval reaching the baseline waits for a second point.
    series[8] = { value: 80, lo: 70, hi: 101 };
    expect(regressionFlags(series, 'lower')).toEqual([]);
  });

  it('has no baseline, so no flag, with fewer than 3 earlier points', () => {
    expect(baselineOf([1, 2])).toBeNull();
    expect(regressionFlags([{ value: 1 }, { value: 2 }, { value: 9 }, { value: 9 }], 'higher')).toEqual([]);
    expect(
      regressionFlags([{ value: 1 }, { value: 1 }, { value: 1 }, { value: 9 }, { value: 9 }], 'higher'),
    ).toHaveLength(1);
  });

  it('uses the median of the last 7 and a band of max(3·MAD, 5%)', () => {
    // Last 7: 10 11 12 13 14 15 16 → median 13, MAD 2 → band 6 (> 0.65).
    expect(baselineOf([100, 10, 11, 12, 13, 14, 15, 16])).toEqual({ baseline: 13, band: 6 });
    expect(baselineOf([100, 100, 100])).toEqual({ baseline: 100, band: 5 });
  });
});

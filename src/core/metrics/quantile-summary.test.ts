// The mergeable distribution summary (docs/metrics.md#percentiles): exact type-7 percentiles while it holds at most
// `exactLimit` distinct values, a 0.1% relative-error sketch beyond; mergeable and serialisable.
//
// Accuracy rule once sketched. A sketch does not interpolate: it answers with an estimate of one
// order statistic. For q in (0, 1) let h = q·(n − 1) be the type-7 position in the sorted values
// x_0 ≤ … ≤ x_{n−1}. The answer v must be within 0.1% relative error of the nearest-rank value
// x_⌊h⌋ or x_⌈h⌉: |v − x_r| ≤ 0.001·|x_r| for r = ⌊h⌋ or r = ⌈h⌉ (so a 0 must come back as exactly 0).
// DDSketch itself returns the estimate of x_⌊h⌋; accepting either neighbour keeps the test about the
// contract, not the library. A tolerance factor of (1 + 1e-9) absorbs the rounding of the sketch's
// log/exp mapping at bucket edges. q = 0 and q = 1 are the exact min and max.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentile } from './percentile.ts';
import {
  QuantileSummary,
  quantileSummaryStateSchema,
  REPORTED_QUANTILES,
  SKETCH_RELATIVE_ACCURACY,
} from './quantile-summary.ts';

const REPORTED = Object.values(REPORTED_QUANTILES);

/** Integers (exact sums in any order) with many ties, zeros and negatives. */
const intValue = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -1_000_000, max: 1_000_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 30 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 5_000_000 }) },
  { weight: 1, arbitrary: fc.constant(0) },
);
/** Values with 3 decimals (sums are only exact in the order they were added). */
const milliValue = fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).map((k) => k / 1000);
const anyValue = fc.oneof(intValue, milliValue);

const qArb = fc.oneof(
  fc.constantFrom(...REPORTED, 0, 1, 0.25, 0.75),
  fc.double({ min: 0, max: 1, noNaN: true }).map((q) => q + 0),
);

function summarise(values: readonly number[], exactLimit?: number): QuantileSummary {
  const s = new QuantileSummary(exactLimit);
  for (const v of values) s.add(v);
  return s;
}

const sequentialSum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** The accuracy rule of the header comment. */
function expectSketchAccuracy(actual: number | null, sorted: readonly number[], q: number): void {
  expect(actual).not.toBeNull();
  if (q <= 0) return void expect(actual).toBe(sorted[0]);
  if (q >= 1) return void expect(actual).toBe(sorted[sorted.length - 1]);
  const h = (sorted.length - 1) * q;
  const neighbours = [sorted[Math.floor(h)]!, sorted[Math.ceil(h)]!];
  const ok = neighbours.some(
    (x) => Math.abs(actual! - x) <= SKETCH_RELATIVE_ACCURACY * Math.abs(x) * (1 + 1e-9),
  );
  expect(ok, `q=${q}: ${actual} is not within 0.1% of ${neighbours.join(' or ')}`).toBe(true);
}

/** count/sum/min/max exact, then every reported and sampled quantile by the rule (or exactly). */
function expectDescribes(s: QuantileSummary, values: readonly number[], qs: readonly number[]): void {
  const sorted = [...values].sort((a, b) => a - b);
  expect(s.count).toBe(values.length);
  expect(s.min).toBe(sorted[0] ?? null);
  expect(s.max).toBe(sorted[sorted.length - 1] ?? null);
  for (const q of [...REPORTED, ...qs]) {
    if (s.isExact) expect(s.quantile(q), `q=${q}`).toBe(percentile(values, q));
    else expectSketchAccuracy(s.quantile(q), sorted, q);
  }
  const stats = s.stats();
  expect(stats.exact).toBe(s.isExact);
  expect(stats.count).toBe(values.length);
  const reported = Object.keys(REPORTED_QUANTILES) as (keyof typeof REPORTED_QUANTILES)[];
  expect(reported.map((k) => stats[k])).toEqual(s.quantiles(REPORTED));
}

describe('QuantileSummary while exact', () => {
  it('gives the exact type-7 percentile of the raw values', () => {
    fc.assert(
      fc.property(fc.array(anyValue, { maxLength: 400 }), fc.array(qArb, { maxLength: 5 }), (values, qs) => {
        const s = summarise(values);
        expect(s.isExact).toBe(true);
        expectDescribes(s, values, qs);
        const stats = s.stats();
        expect(s.sum).toBe(sequentialSum(values));
        expect(stats.mean).toBe(values.length === 0 ? null : sequentialSum(values) / values.length);
      }),
      { numRuns: 200 },
    );
  });

  it('stays exact up to exactLimit distinct values and sketches beyond', () => {
    fc.assert(
      fc.property(
        fc.array(intValue, { maxLength: 100 }),
        fc.integer({ min: 1, max: 40 }),
        (values, limit) => {
          const s = summarise(values, limit);
          expect(s.isExact).toBe(new Set(values).size <= limit);
        },
      ),
      { numRuns: 200 },
    );
    const s = summarise([1, 2, 3, 3, 3, 2, 1], 3);
    expect(s.isExact).toBe(true);
    s.add(4);
    expect(s.isExact).toBe(false);
    expect(s.stats().exact).toBe(false);
  });

  it('a merge keeps the larger exact limit, in either direction (issue 8: no sketch from merging)', () => {
    fc.assert(
      fc.property(
        fc.array(intValue, { maxLength: 60 }),
        fc.array(intValue, { maxLength: 60 }),
        fc.integer({ min: 1, max: 20 }),
        (a, b, small) => {
          const large = 1000;
          for (const [into, from] of [
            [summarise(a, small), summarise(b, large)],
            [summarise(a, large), summarise(b, small)],
          ] as const) {
            if (!into.isExact || !from.isExact) continue;
            into.merge(from);
            expect(into.exactLimit).toBe(large);
            expect(into.isExact).toBe(true);
            const sorted = [...a, ...b].sort((x, y) => x - y);
            for (const q of REPORTED) expect(into.quantile(q)).toBe(percentile(sorted, q));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('clone(limit) copies the values under another exact limit', () => {
    const s = summarise([5, 6, 7], 3);
    const roomier = s.clone(4);
    roomier.add(8);
    expect(roomier.isExact).toBe(true);
    expect(roomier.quantile(0.5)).toBe(6.5);
    s.add(8);
    expect(s.isExact).toBe(false);
  });

  it('treats add(v, w) like w separate adds', () => {
    const weighted = fc.array(fc.tuple(intValue, fc.integer({ min: 1, max: 5 })), { maxLength: 100 });
    fc.assert(
      fc.property(weighted, fc.constantFrom(4, 4096), (pairs, limit) => {
        const a = new QuantileSummary(limit);
        const b = new QuantileSummary(limit);
        for (const [v, w] of pairs) {
          a.add(v, w);
          for (let i = 0; i < w; i++) b.add(v);
        }
        expect(a.stats()).toEqual(b.stats());
      }),
      { numRuns: 100 },
    );
  });

  it('reports nothing but a zero count when empty', () => {
    const s = new QuantileSummary();
    expect(s.quantile(0.5)).toBeNull();
    expect(s.stats()).toEqual({
      count: 0,
      mean: null,
      min: null,
      p1: null,
      p50: null,
      p90: null,
      p95: null,
      p99: null,
      p99_9: null,
      max: null,
      exact: true,
    });
  });
});

describe('QuantileSummary once sketched', () => {
  /** Enough distinct values to overflow a small exact limit. */
  const sketchedInput = fc
    .tuple(fc.array(anyValue, { minLength: 20, maxLength: 400 }), fc.integer({ min: 1, max: 16 }))
    .filter(([values, limit]) => new Set(values).size > limit);

  it('keeps count, sum, min and max exact and every quantile within 0.1% of its nearest rank', () => {
    fc.assert(
      fc.property(sketchedInput, fc.array(qArb, { maxLength: 10 }), ([values, limit], qs) => {
        const s = summarise(values, limit);
        expect(s.isExact).toBe(false);
        expect(s.sum).toBe(sequentialSum(values));
        expectDescribes(s, values, qs);
      }),
      { numRuns: 200 },
    );
  });

  it('handles zeros and negative values', () => {
    const values = [-1_000_000, -1000, -1000, -1000, -2.5, -0.001, 0, 0, 0, 0, 0, 0.001, 7, 7, 1e6, 3.25e9];
    const s = summarise(values, 2);
    expect(s.isExact).toBe(false);
    expectDescribes(s, values, [0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8]);
    // Ranks 6–10 are the zeros: the sketch must answer exactly 0 there, not a tiny ±value.
    expect(s.quantile(0.5)).toBe(0);
    expect(s.quantile(0.4)).toBe(0);
    expect(s.quantile(0)).toBe(-1_000_000);
    expect(s.quantile(1)).toBe(3.25e9);
    const negatives = summarise([-5, -4, -3, -2, -1], 1);
    expectDescribes(negatives, [-5, -4, -3, -2, -1], [0.3, 0.6]);
    expect(negatives.stats().mean).toBe(-3);
  });

  it('fails the accuracy rule for a value outside 0.1% (the rule itself can fail)', () => {
    expect(() => expectSketchAccuracy(1002, [1000, 1000, 1000], 0.5)).toThrow();
    expect(() => expectSketchAccuracy(0.001, [0, 0, 0], 0.5)).toThrow();
    expectSketchAccuracy(1001, [1000, 1000, 1000], 0.5);
  });
});

describe('QuantileSummary.merge', () => {
  /** Integer values split into parts (sums then do not depend on the order of addition). */
  const parts = fc.array(fc.array(intValue, { maxLength: 150 }), { minLength: 1, maxLength: 4 });
  const limitArb = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(4096));

  it('equals a summary of the concatenation (exactly while exact, within the sketch accuracy once sketched)', () => {
    fc.assert(
      fc.property(parts, limitArb, fc.array(qArb, { maxLength: 5 }), (groups, limit, qs) => {
        const all = groups.flat();
        const merged = new QuantileSummary(limit);
        for (const g of groups) merged.merge(summarise(g, limit));
        const whole = summarise(all, limit);
        expect(merged.isExact).toBe(whole.isExact);
        expect(merged.isExact).toBe(new Set(all).size <= limit);
        expect(merged.count).toBe(whole.count);
        expect(merged.sum).toBe(whole.sum);
        expect(merged.min).toBe(whole.min);
        expect(merged.max).toBe(whole.max);
        if (merged.isExact) expect(merged.stats()).toEqual(whole.stats());
        expectDescribes(merged, all, qs);
      }),
      { numRuns: 200 },
    );
  });

  it('merges sketches holding negative values and values near 1 (sketches-js DDSketch.merge bugs)', () => {
    // DDSketch.merge (sketches-js 2.1.1) dropped the other sketch's negative store…
    const withNegatives = summarise([1, 2, 3], 1);
    withNegatives.merge(summarise([-5, -6, 3], 1));
    expectDescribes(withNegatives, [1, 2, 3, -5, -6, 3], [0.1, 0.25, 0.5]);
    // …and DenseStore.merge ignored a maximum bin key of 0, the bin of values in (0.998, 1]: a
    // fluidity-index of 1 merged into sketches of lower indices.
    const fluidity = [0.5, 0.67, 1, 1, 1];
    const near1 = summarise([0.82, 0.83], 1);
    near1.merge(summarise(fluidity, 1));
    expectDescribes(near1, [0.82, 0.83, ...fluidity], [0.5, 0.7, 0.8]);
  });

  it('merges sketched into exact, exact into sketched, and empty either way', () => {
    const many = Array.from({ length: 50 }, (_, i) => i * 37 - 400);
    const few = [5, 5, 6];
    for (const [a, b] of [
      [many, few],
      [few, many],
      [many, many],
      [[], many],
      [many, []],
      [[], []],
    ] as const) {
      const s = summarise(a, 10);
      s.merge(summarise(b, 10));
      expectDescribes(s, [...a, ...b], [0.1, 0.33, 0.66]);
      expect(s.sum).toBe(sequentialSum([...a, ...b]));
    }
  });
});

describe('QuantileSummary JSON state', () => {
  const roundTrip = (s: QuantileSummary) =>
    QuantileSummary.fromJSON(quantileSummaryStateSchema.parse(JSON.parse(JSON.stringify(s.toJSON()))));

  it('round-trips through toJSON → schema → fromJSON with every stat preserved, exact and sketched', () => {
    fc.assert(
      fc.property(
        fc.array(anyValue, { maxLength: 300 }),
        fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constant(4096)),
        fc.array(anyValue, { maxLength: 50 }),
        fc.array(qArb, { maxLength: 5 }),
        (values, limit, more, qs) => {
          const s = summarise(values, limit);
          const restored = roundTrip(s);
          expect(restored.isExact).toBe(s.isExact);
          expect(restored.exactLimit).toBe(limit);
          expect(restored.stats()).toEqual(s.stats());
          expect(restored.quantiles(qs)).toEqual(s.quantiles(qs));
          // The restored summary is live: it keeps accepting values and merging like the original.
          for (const v of more) {
            s.add(v);
            restored.add(v);
          }
          expect(restored.isExact).toBe(s.isExact);
          expect(restored.stats()).toEqual(s.stats());
          expect(restored.quantiles(qs)).toEqual(s.quantiles(qs));
          const intoFresh = new QuantileSummary(limit);
          intoFresh.merge(roundTrip(s));
          intoFresh.merge(roundTrip(restored));
          const twice = summarise([...values, ...more, ...values, ...more], limit);
          expect(intoFresh.count).toBe(twice.count);
          expect(intoFresh.isExact).toBe(twice.isExact);
          expectDescribes(intoFresh, [...values, ...more, ...values, ...more], qs);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes [value, count] pairs while exact and sketch bins once sketched', () => {
    const exact = summarise([3, 1, 3], 10).toJSON();
    expect(exact.sketch).toBeNull();
    expect(new Map(exact.exact)).toEqual(
      new Map([
        [3, 2],
        [1, 1],
      ]),
    );
    const sketched = summarise([-2, 0, 0, 1, 2, 3], 2).toJSON();
    expect(sketched.exact).toBeNull();
    expect(sketched.sketch!.zero_count).toBe(2);
    expect(sketched.sketch!.negative.reduce((n, [, c]) => n + c, 0)).toBe(1);
    expect(sketched.sketch!.positive.reduce((n, [, c]) => n + c, 0)).toBe(3);
    expect(quantileSummaryStateSchema.safeParse({ ...sketched, count: -1 }).success).toBe(false);
  });
});

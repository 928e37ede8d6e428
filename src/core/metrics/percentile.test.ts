// Type-7 percentiles (docs/metrics.md#percentiles) against an independent implementation of numpy's default rule.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentile, percentileSorted } from './percentile.ts';

/**
 * numpy.percentile(method='linear') as numpy ≥ 1.22 computes it: virtual index h = (n − 1)·q,
 * neighbours at floor(h) and floor(h) + 1, and `_lerp`, which interpolates from the nearer end.
 */
function numpyLinear(values: readonly number[], q: number): number {
  const x = [...values].sort((a, b) => a - b);
  const h = (x.length - 1) * q;
  const lo = Math.floor(h);
  const a = x[lo]!;
  const b = x[Math.min(lo + 1, x.length - 1)]!;
  const t = h - lo;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * The two lerp forms differ by rounding only: a few ulps of the neighbours' magnitude. Among
 * subnormals an ulp is a fixed 5e-324 (e.g. [−6.4e-323, 0] at q = 0.5 differs by one), so the
 * tolerance never drops below a few of those.
 */
function expectClose(actual: number | null, expected: number, neighbours: readonly number[]): void {
  const scale = Math.max(...neighbours.map(Math.abs));
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(Math.max(1e-12 * scale, 4 * Number.MIN_VALUE));
}

const valueArb = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.integer({ min: 0, max: 20 }), // many ties
  fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true }).map((x) => x + 0), // no −0
);
const valuesArb = fc.array(valueArb, { minLength: 1, maxLength: 200 });
const qArb = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }).map((q) => q + 0),
  fc.constantFrom(0, 0.5, 0.9, 0.95, 0.99, 0.999, 1),
);

describe('percentile (type 7)', () => {
  it('agrees with an independent numpy-style implementation', () => {
    fc.assert(
      fc.property(valuesArb, qArb, (values, q) => {
        const x = [...values].sort((a, b) => a - b);
        const h = (x.length - 1) * q;
        const neighbours = [x[Math.floor(h)]!, x[Math.min(Math.floor(h) + 1, x.length - 1)]!];
        expectClose(percentile(values, q), numpyLinear(values, q), neighbours);
        expectClose(percentileSorted(x, q), numpyLinear(values, q), neighbours);
      }),
      { numRuns: 500 },
    );
  });

  it('lies between the two closest ranks and does not decrease with q', () => {
    // Integer data: b − a is then exact, so a + t·(b − a) cannot round past b (with arbitrary
    // doubles a rounded-up difference can overshoot the upper neighbour by an ulp).
    const integers = fc.array(
      fc.oneof(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 20 })),
      {
        minLength: 1,
        maxLength: 200,
      },
    );
    fc.assert(
      fc.property(integers, qArb, qArb, (values, q1, q2) => {
        const x = [...values].sort((a, b) => a - b);
        const h = (x.length - 1) * q1;
        const p = percentile(values, q1)!;
        expect(p).toBeGreaterThanOrEqual(x[Math.floor(h)]!);
        expect(p).toBeLessThanOrEqual(x[Math.ceil(h)]!);
        const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
        expect(percentile(values, lo)!).toBeLessThanOrEqual(percentile(values, hi)!);
      }),
      { numRuns: 300 },
    );
  });

  it('is the minimum at q = 0 and the maximum at q = 1', () => {
    fc.assert(
      fc.property(valuesArb, (values) => {
        expect(percentile(values, 0)).toBe(Math.min(...values));
        expect(percentile(values, 1)).toBe(Math.max(...values));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects q outside [0, 1] and leaves its input alone', () => {
    for (const q of [
      -1e-9,
      -1,
      1 + 1e-9,
      2,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]) {
      expect(() => percentile([1, 2, 3], q), String(q)).toThrow(RangeError);
      expect(() => percentileSorted([1, 2, 3], q), String(q)).toThrow(RangeError);
    }
    const input = [3, 1, 2];
    percentile(input, 0.5);
    expect(input).toEqual([3, 1, 2]);
  });

  it('handles the documented cases by hand', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.99)).toBe(7);
    // numpy.percentile([1, 2, 3, 4], [25, 50, 90]) == [1.75, 2.5, 3.7]
    expect(percentile([4, 3, 2, 1], 0.25)).toBe(1.75);
    expect(percentile([4, 3, 2, 1], 0.5)).toBe(2.5);
    expect(percentile([4, 3, 2, 1], 0.9)).toBeCloseTo(3.7, 12);
    // Numeric, not lexicographic, ordering.
    expect(percentile([10, 9, 100, 2], 0)).toBe(2);
    expect(percentile([10, 9, 100, 2], 1)).toBe(100);
    expect(percentile([-5, 10, -20], 0.5)).toBe(-5);
  });
});

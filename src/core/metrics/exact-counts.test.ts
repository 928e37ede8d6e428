import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactCounts } from './exact-counts.ts';
import { percentile } from './percentile.ts';
import { QuantileSummary } from './quantile-summary.ts';

// Values that exercise both homes: dense integers, integers past the limit, negatives, fractions, -0.
const valueArb = fc.oneof(
  fc.integer({ min: 0, max: 3000 }),
  fc.integer({ min: -50, max: 5000 }),
  fc.double({ min: -10, max: 10, noNaN: true }),
  fc.constantFrom(0, -0, 2047, 2048, 4095),
);
const LIMIT = 2048;

function mapOnly(values: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

describe('ExactCounts', () => {
  it('counts exactly what a Map counts, dense or not', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 400 }), (values) => {
        const counts = new ExactCounts(LIMIT);
        for (const v of values) counts.add(v, 1);
        const expected = mapOnly(values);
        expect(counts.size).toBe(expected.size);
        expect(new Map(counts.entries())).toEqual(expected);
        const { values: sorted, cumulative } = counts.sorted();
        expect([...sorted]).toEqual([...expected.keys()].sort((a, b) => a - b));
        expect(cumulative.at(-1) ?? 0).toBe(values.length);
      }),
      { numRuns: 200 },
    );
  });

  it('grows the dense array on demand and never past the limit', () => {
    const counts = new ExactCounts(LIMIT);
    counts.add(5, 2);
    counts.add(LIMIT - 1, 1); // still dense
    counts.add(LIMIT, 1); // the Map
    counts.add(5, 1);
    expect([...counts.entries()]).toEqual([
      [5, 3],
      [LIMIT - 1, 1],
      [LIMIT, 1],
    ]);
    expect(counts.size).toBe(3);
  });

  it('gives QuantileSummary the same quantiles and JSON as Map-only counting', () => {
    fc.assert(
      fc.property(
        fc.array(valueArb, { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const dense = new QuantileSummary(1 << 20, LIMIT);
          const plain = new QuantileSummary(1 << 20);
          for (const v of values) {
            dense.add(v);
            plain.add(v);
          }
          expect(dense.quantile(q)).toBe(plain.quantile(q));
          expect(dense.quantile(q)).toBeCloseTo(percentile(values, q)!, 9);
          const sortPairs = (pairs: [number, number][] | null) =>
            [...(pairs ?? [])].sort(([a], [b]) => a - b);
          expect(sortPairs(dense.toJSON().exact)).toEqual(sortPairs(plain.toJSON().exact));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('moves dense counts into the sketch and merges across both homes', () => {
    const a = new QuantileSummary(3, LIMIT);
    const b = new QuantileSummary(100, LIMIT);
    for (const v of [1, 2, 3]) a.add(v);
    for (const v of [3, 4, 5000]) b.add(v);
    b.merge(a);
    expect(b.isExact).toBe(true);
    expect(b.count).toBe(6);
    expect(b.quantile(0.5)).toBe(3);
    a.add(7); // a fourth distinct value: past the limit of 3
    expect(a.isExact).toBe(false);
    expect(a.count).toBe(4);
    expect(a.quantile(1)).toBe(7);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isotonicRegression } from './isotonic-regression.ts';
import { fitNonNegativeQuadratic, solveSmallSystem } from './nonnegative-quadratic-fit.ts';

describe('isotonicRegression', () => {
  it('pools adjacent violators into their mean', () => {
    expect(isotonicRegression([1, 3, 2, 4])).toEqual([1, 2.5, 2.5, 4]);
    expect(isotonicRegression([3, 2, 1])).toEqual([2, 2, 2]);
    expect(isotonicRegression([1, 2, 3])).toEqual([1, 2, 3]);
    expect(isotonicRegression([5])).toEqual([5]);
  });

  it('is non-decreasing, keeps the length and the sum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (ys) => {
          const out = isotonicRegression(ys);
          expect(out).toHaveLength(ys.length);
          for (let i = 1; i < out.length; i++) expect(out[i]!).toBeGreaterThanOrEqual(out[i - 1]!);
          const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
          expect(sum(out)).toBeCloseTo(sum(ys), 8);
        },
      ),
    );
  });
});

describe('solveSmallSystem', () => {
  it('solves a system that needs pivoting, and reports a singular one', () => {
    const v = solveSmallSystem(
      [
        [0, 1, 1],
        [2, 0, 1],
        [1, 1, 0],
      ],
      [5, 5, 3],
    );
    expect(v).not.toBeNull();
    const [x, y, z] = v!;
    expect(x).toBeCloseTo(1, 12);
    expect(y).toBeCloseTo(2, 12);
    expect(z).toBeCloseTo(3, 12);
    expect(
      solveSmallSystem(
        [
          [1, 2],
          [2, 4],
        ],
        [1, 2],
      ),
    ).toBeNull();
  });
});

describe('fitNonNegativeQuadratic', () => {
  it('recovers an exact quadratic over millions of x', () => {
    const xs = [1e3, 1e4, 1e5, 1e6, 4e6];
    const { a, b, c } = fitNonNegativeQuadratic(
      xs,
      xs.map((x) => 3 + 2e-3 * x + 5e-12 * x * x),
    );
    expect(a).toBeCloseTo(3, 8);
    expect(b / 2e-3).toBeCloseTo(1, 8);
    expect(c / 5e-12).toBeCloseTo(1, 8);
  });

  it('clamps coefficients at zero when the unconstrained fit wants them negative', () => {
    // Unconstrained: y = -1 + x. Worked by hand over every support: the best feasible fit is
    // c·x² alone with c = Σx²y / Σx⁴ = 22/98 (SSE 0.061, against 0.43 for b·x alone).
    const xs = [1, 2, 3];
    const ys = [0, 1, 2];
    const { a, b, c } = fitNonNegativeQuadratic(xs, ys);
    expect(a).toBe(0);
    expect(b).toBe(0);
    expect(c).toBeCloseTo(22 / 98, 14);
    // And no nearby feasible point does better.
    const sse = (p: [number, number, number]) =>
      xs.reduce((acc, x, i) => acc + (ys[i]! - p[0] - p[1] * x - p[2] * x * x) ** 2, 0);
    const best = sse([a, b, c]);
    for (const da of [0, 0.01, 0.1]) {
      for (const db of [0, 0.01, 0.1]) {
        for (const dc of [-0.01, 0, 0.01]) {
          expect(best).toBeLessThanOrEqual(sse([a + da, b + db, c + dc]) + 1e-15);
        }
      }
    }
  });
});

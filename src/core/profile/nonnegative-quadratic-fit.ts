// Least-squares y ≈ a + b·x + c·x² with a, b, c ≥ 0 (non-negative least squares with three
// unknowns). With non-negative coefficients the quadratic is monotone for x ≥ 0, which is what a
// prefill predictor needs.
//
// Three unknowns make the active-set search trivially exhaustive: the constrained optimum is the
// unconstrained least-squares solution on its own support, so solving every subset of {a, b, c}
// and keeping the best feasible one finds the global optimum exactly.

export interface QuadraticCoefficients {
  a: number;
  b: number;
  c: number;
}

// Powers of x per subset, in tie-break order: among equally good fits (fewer distinct x values
// than unknowns) prefer a line, then the full quadratic, then proportional (b only), so a single
// point gives y = (y₀/x₀)·x.
const SUBSETS: readonly (readonly number[])[] = [[0, 1], [0, 1, 2], [1], [0], [1, 2], [0, 2], [2]];

/** Solves the small square system m·v = rhs by Gaussian elimination with partial pivoting; null if singular. */
export function solveSmallSystem(m: number[][], rhs: number[]): number[] | null {
  const k = rhs.length;
  const rows = m.map((row, i) => [...row, rhs[i]!]);
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) {
      if (Math.abs(rows[r]![col]!) > Math.abs(rows[pivot]![col]!)) pivot = r;
    }
    const pivotValue = rows[pivot]![col]!;
    if (pivotValue === 0 || !Number.isFinite(pivotValue)) return null;
    [rows[col], rows[pivot]] = [rows[pivot]!, rows[col]!];
    const pivotRow = rows[col]!;
    for (let r = col + 1; r < k; r++) {
      const row = rows[r]!;
      const factor = row[col]! / pivotValue;
      for (let j = col; j <= k; j++) row[j] = row[j]! - factor * pivotRow[j]!;
    }
  }
  const v = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    const row = rows[r]!;
    let sum = row[k]!;
    for (let j = r + 1; j < k; j++) sum -= row[j]! * v[j]!;
    v[r] = sum / row[r]!;
  }
  return v.every(Number.isFinite) ? v : null;
}

/**
 * The non-negative least-squares quadratic through (xs[i], ys[i]). `xs` must be distinct and > 0,
 * `ys` finite (the caller validates). x is scaled to (0, 1] internally so the normal equations stay
 * well conditioned for x up to millions of tokens.
 */
export function fitNonNegativeQuadratic(xs: readonly number[], ys: readonly number[]): QuadraticCoefficients {
  const scale = Math.max(...xs);
  const us = xs.map((x) => x / scale);
  const sumSquaresY = ys.reduce((acc, y) => acc + y * y, 0);
  // Differences below this are rounding noise; they must not override the tie-break order.
  const tieEps = 1e-12 * sumSquaresY;
  let best: { coefficients: number[]; sse: number } | null = null;
  for (const powers of SUBSETS) {
    // k monomials of positive distinct x are independent on ≥ k points and dependent on fewer.
    if (powers.length > us.length) continue;
    const gram = powers.map((p) => powers.map((q) => us.reduce((acc, u) => acc + u ** (p + q), 0)));
    const rhs = powers.map((p) => us.reduce((acc, u, i) => acc + u ** p * ys[i]!, 0));
    const solution = solveSmallSystem(gram, rhs);
    if (solution === null || solution.some((v) => v < 0)) continue;
    const coefficients = [0, 0, 0];
    powers.forEach((p, i) => {
      coefficients[p] = solution[i]!;
    });
    const [a, b, c] = coefficients as [number, number, number];
    const sse = us.reduce((acc, u, i) => acc + (ys[i]! - (a + u * (b + c * u))) ** 2, 0);
    if (best === null || sse < best.sse - tieEps) best = { coefficients, sse };
  }
  // Unreachable for valid input: the intercept-only subset is always solvable and feasible when
  // the ys are positive. Kept as a clear failure rather than a silent zero predictor.
  if (best === null)
    throw new Error('no non-negative quadratic fits these points (are the values positive?)');
  const [a, b, c] = best.coefficients as [number, number, number];
  return { a, b: b / scale, c: c / (scale * scale) };
}

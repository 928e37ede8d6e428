import { Z_95 } from './wilson-interval.ts';

// Binomial logistic regression of a bad fraction on log-load: logit(b/n) = a + c·ln x, fitted by
// Newton's method (IRLS) on the exact binomial likelihood. Half a pseudo-bad in one pseudo-request
// per point keeps the fit finite when every point is all-good or all-bad (separation).

export interface FitPoint {
  load: number;
  n: number;
  bad: number;
}

export interface LogisticFit {
  a: number;
  c: number;
  /** Covariance of (a, c): the inverse Fisher information at the optimum. */
  cov: [number, number, number];
}

const MAX_ITERATIONS = 60;

/** The fit, or null when it is degenerate (fewer than 2 distinct loads, no convergence, c ≤ 0). */
export function fitLogistic(points: readonly FitPoint[]): LogisticFit | null {
  const pts = points.filter((p) => p.n > 0 && p.load > 0);
  if (new Set(pts.map((p) => p.load)).size < 2) return null;
  const xs = pts.map((p) => Math.log(p.load));
  const ns = pts.map((p) => p.n + 1);
  const bs = pts.map((p) => p.bad + 0.5);
  const meanX = xs.reduce((s, x) => s + x, 0) / xs.length;
  let a = 0;
  let c = 0;
  for (let iter = 0; iter < MAX_ITERATIONS; iter++) {
    const { g0, g1, h00, h01, h11 } = derivatives(xs, ns, bs, a, c, meanX);
    const det = h00 * h11 - h01 * h01;
    if (!(det > 0)) return null;
    const da = (h11 * g0 - h01 * g1) / det;
    const dc = (h00 * g1 - h01 * g0) / det;
    // damp huge steps: a Newton step on a flat likelihood can overshoot far
    const scale = Math.min(1, 5 / Math.max(Math.abs(da), Math.abs(dc)));
    a += scale * da;
    c += scale * dc;
    if (Math.abs(da) < 1e-10 && Math.abs(dc) < 1e-10) {
      const { h00: f00, h01: f01, h11: f11 } = derivatives(xs, ns, bs, a, c, meanX);
      const d = f00 * f11 - f01 * f01;
      if (!(c > 0) || !(d > 0)) return null;
      // back from the centred x (a is the intercept at mean x) to a + c·ln x
      const a0 = a - c * meanX;
      // overdispersion: when the points scatter more than binomial noise (a target whose capacity
      // drifts between probes), widen the covariance by Pearson's χ² per degree of freedom
      const phi = dispersion(xs, ns, bs, a, c, meanX);
      const v00 = (phi * f11) / d;
      const v01 = (-phi * f01) / d;
      const v11 = (phi * f00) / d;
      return {
        a: a0,
        c,
        cov: [v00 - 2 * meanX * v01 + meanX * meanX * v11, v01 - meanX * v11, v11],
      };
    }
  }
  return null;
}

/** Pearson χ² / (points − 2), at least 1 (1 with two points: no spare degree of freedom). */
function dispersion(xs: number[], ns: number[], bs: number[], a: number, c: number, meanX: number): number {
  if (xs.length <= 2) return 1;
  let chi2 = 0;
  xs.forEach((x, i) => {
    const p = 1 / (1 + Math.exp(-(a + c * (x - meanX))));
    const n = ns[i]!;
    const v = n * p * (1 - p);
    if (v > 0) chi2 += (bs[i]! - n * p) ** 2 / v;
  });
  return Math.max(1, chi2 / (xs.length - 2));
}

function derivatives(xs: number[], ns: number[], bs: number[], a: number, c: number, meanX: number) {
  let g0 = 0;
  let g1 = 0;
  let h00 = 0;
  let h01 = 0;
  let h11 = 0;
  xs.forEach((x0, i) => {
    const x = x0 - meanX;
    const p = 1 / (1 + Math.exp(-(a + c * x)));
    const n = ns[i]!;
    const r = bs[i]! - n * p;
    const w = n * p * (1 - p);
    g0 += r;
    g1 += r * x;
    h00 += w;
    h01 += w * x;
    h11 += w * x * x;
  });
  return { g0, g1, h00, h01, h11 };
}

/**
 * The load where the fitted bad fraction equals `fraction`, with a 95% interval from the fit's
 * covariance (delta method on ln x).
 */
export function logisticRoot(fit: LogisticFit, fraction: number): { load: number; lo: number; hi: number } {
  const target = Math.log(fraction / (1 - fraction));
  const lnX = (target - fit.a) / fit.c;
  const ga = -1 / fit.c;
  const gc = -(target - fit.a) / (fit.c * fit.c);
  const [vaa, vac, vcc] = fit.cov;
  const se = Math.sqrt(Math.max(0, ga * ga * vaa + 2 * ga * gc * vac + gc * gc * vcc));
  return { load: Math.exp(lnX), lo: Math.exp(lnX - Z_95 * se), hi: Math.exp(lnX + Z_95 * se) };
}

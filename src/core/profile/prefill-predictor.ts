import { sToUs } from '../metrics/units.ts';
import { isotonicRegression } from './isotonic-regression.ts';
import { fitNonNegativeQuadratic } from './nonnegative-quadratic-fit.ts';
import {
  type FitReport,
  minTtftPerLength,
  type PiecewiseLinearPredictor,
  type PredictorKind,
  type PredictorParams,
  type ProfileSample,
  type QuadraticPredictor,
} from './prefill-profile.ts';

// predicted_prefill(L) (docs/metrics.md#where-the-deadlines-come-from), fitted to the minimum TTFT per prompt length. Both kinds are
// monotone non-decreasing for every L ≥ 0 and keep growing at least linearly beyond the largest
// profiled length (etalon's random forest goes flat there, which makes long prompts look late).

export interface FitPrefillPredictorOptions {
  /**
   * `quadratic`: non-negative least-squares a + bL + cL² — smooth, robust to jitter in single
   * minima, and prefill cost really is close to quadratic in L (attention). `piecewise_linear`:
   * isotonic regression of the minima, linearly interpolated — follows any monotone shape (e.g.
   * chunked-prefill steps). `auto` (default): the quadratic when it passes within tolerance of
   * every point, otherwise piecewise-linear.
   */
  kind?: 'auto' | PredictorKind;
  /** auto keeps the quadratic when |error| ≤ max(autoToleranceS, autoRelTolerance × measured) at every point. */
  autoToleranceS?: number;
  autoRelTolerance?: number;
}

const DEFAULT_AUTO_TOLERANCE_S = 0.01;
const DEFAULT_AUTO_REL_TOLERANCE = 0.05;

/**
 * Fits a predictor to the per-length minimum TTFTs of `samples`. With one profiled length the
 * quadratic is proportional, prefill = (ttft / L)·L: a constant would go flat beyond the point,
 * and prefill of an empty prompt is closer to zero than to the measured TTFT.
 */
export function fitPrefillPredictor(
  samples: readonly ProfileSample[],
  options: FitPrefillPredictorOptions = {},
): PredictorParams {
  const points = minTtftPerLength(samples); // validates the samples
  const kind = options.kind ?? 'auto';
  if (kind !== 'auto' && kind !== 'quadratic' && kind !== 'piecewise_linear') {
    throw new Error(`kind must be 'auto', 'quadratic' or 'piecewise_linear', got ${String(kind)}`);
  }
  const toleranceS = nonNegativeOption(options.autoToleranceS, DEFAULT_AUTO_TOLERANCE_S, 'autoToleranceS');
  const relTolerance = nonNegativeOption(
    options.autoRelTolerance,
    DEFAULT_AUTO_REL_TOLERANCE,
    'autoRelTolerance',
  );
  if (kind === 'piecewise_linear') return fitPiecewiseLinear(points);
  const quadratic = fitQuadratic(points);
  if (kind === 'quadratic') return quadratic;
  const fitsEveryPoint = points.every(
    ({ prompt_tokens, ttft_s }) =>
      Math.abs(predictPrefillS(quadratic, prompt_tokens) - ttft_s) <=
      Math.max(toleranceS, relTolerance * ttft_s),
  );
  return fitsEveryPoint ? quadratic : fitPiecewiseLinear(points);
}

/** Predicted prefill time in seconds for a prompt of `promptTokens` tokens (≥ 0). */
export function predictPrefillS(params: PredictorParams, promptTokens: number): number {
  if (typeof promptTokens !== 'number' || !Number.isFinite(promptTokens) || promptTokens < 0) {
    throw new RangeError(`promptTokens must be a finite number ≥ 0, got ${String(promptTokens)}`);
  }
  switch (params.kind) {
    case 'quadratic':
      return evaluateQuadratic(params, promptTokens);
    case 'piecewise_linear':
      return evaluatePiecewiseLinear(params, promptTokens);
  }
}

/** Predicted prefill time in integer µs, the unit of the deadline arithmetic. */
export function predictPrefillUs(params: PredictorParams, promptTokens: number): number {
  return sToUs(predictPrefillS(params, promptTokens));
}

/** Errors of `params` against the per-length minimum TTFTs of `samples`. */
export function prefillFitReport(params: PredictorParams, samples: readonly ProfileSample[]): FitReport {
  return fitReport(params, minTtftPerLength(samples));
}

function nonNegativeOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
  return value;
}

const PLACEHOLDER_FIT: FitReport = { points: 1, max_abs_error_s: 0, rmse_s: 0, max_rel_error: 0 };

function fitReport(params: PredictorParams, points: readonly ProfileSample[]): FitReport {
  let maxAbs = 0;
  let maxRel = 0;
  let sumSquares = 0;
  for (const { prompt_tokens, ttft_s } of points) {
    const error = Math.abs(predictPrefillS(params, prompt_tokens) - ttft_s);
    maxAbs = Math.max(maxAbs, error);
    maxRel = Math.max(maxRel, error / ttft_s);
    sumSquares += error * error;
  }
  return {
    points: points.length,
    max_abs_error_s: maxAbs,
    rmse_s: Math.sqrt(sumSquares / points.length),
    max_rel_error: maxRel,
  };
}

/**
 * Lower bound on the slope beyond the profiled range. Prefill cost per token does not fall with
 * length, so the fitted secant slope over the profiled range is a fair floor; when that is 0 (a
 * flat fit, minima that never rise, or one length) nothing is known, and the proportional slope
 * fitted(Lmax)/Lmax is used.
 */
function tailSlopeFloor(
  firstL: number,
  firstS: number,
  lastL: number,
  lastS: number,
  minimaRise: boolean,
): number {
  const secant = minimaRise && lastL > firstL ? (lastS - firstS) / (lastL - firstL) : 0;
  return Math.max(secant > 0 ? secant : lastS / lastL, Number.MIN_VALUE);
}

/**
 * Whether the per-length minima rise at all, read from the data (their isotonic regression is not
 * constant) rather than from fitted values: for flat minima the normal equations can return a
 * rounding-noise slope (e.g. 1.4e-21 s/token for 0.1 s at 100 and 20000 tokens) whose positive
 * secant would make the extrapolation flat, etalon's defect.
 */
function minimaRise(points: readonly ProfileSample[]): boolean {
  const monotone = isotonicRegression(points.map((p) => p.ttft_s));
  return monotone[monotone.length - 1]! > monotone[0]!;
}

function fitQuadratic(points: readonly ProfileSample[]): QuadraticPredictor {
  const { a, b, c } = fitNonNegativeQuadratic(
    points.map((p) => p.prompt_tokens),
    points.map((p) => p.ttft_s),
  );
  const first = points[0]!.prompt_tokens;
  const last = points[points.length - 1]!.prompt_tokens;
  const at = (L: number) => a + L * (b + c * L);
  const draft: QuadraticPredictor = {
    kind: 'quadratic',
    intercept_s: a,
    slope_s_per_token: b,
    curvature_s_per_token2: c,
    max_profiled_tokens: last,
    tail_slope_floor_s_per_token: tailSlopeFloor(first, at(first), last, at(last), minimaRise(points)),
    fit: PLACEHOLDER_FIT,
  };
  return { ...draft, fit: fitReport(draft, points) };
}

function fitPiecewiseLinear(points: readonly ProfileSample[]): PiecewiseLinearPredictor {
  const monotone = isotonicRegression(points.map((p) => p.ttft_s));
  const knots = points.map((p, i) => ({ prompt_tokens: p.prompt_tokens, prefill_s: monotone[i]! }));
  const first = knots[0]!;
  const last = knots[knots.length - 1]!;
  const beforeLast = knots[knots.length - 2];
  const lastSegmentSlope =
    beforeLast === undefined
      ? 0
      : (last.prefill_s - beforeLast.prefill_s) / (last.prompt_tokens - beforeLast.prompt_tokens);
  const floor = tailSlopeFloor(
    first.prompt_tokens,
    first.prefill_s,
    last.prompt_tokens,
    last.prefill_s,
    last.prefill_s > first.prefill_s, // the knots are the isotonic regression itself
  );
  const draft: PiecewiseLinearPredictor = {
    kind: 'piecewise_linear',
    knots,
    tail_slope_s_per_token: Math.max(lastSegmentSlope, floor),
    fit: PLACEHOLDER_FIT,
  };
  return { ...draft, fit: fitReport(draft, points) };
}

// Every step below is a monotone floating-point operation on non-negative terms, so the evaluated
// value itself (not just the real-valued formula) never decreases as L grows.

function evaluateQuadratic(p: QuadraticPredictor, L: number): number {
  const b = p.slope_s_per_token;
  const c = p.curvature_s_per_token2;
  const value = p.intercept_s + L * (b + c * L);
  if (L <= p.max_profiled_tokens) return value;
  const slopeAtEdge = b + 2 * c * p.max_profiled_tokens;
  return value + Math.max(0, p.tail_slope_floor_s_per_token - slopeAtEdge) * (L - p.max_profiled_tokens);
}

function evaluatePiecewiseLinear(p: PiecewiseLinearPredictor, L: number): number {
  const knots = p.knots;
  const first = knots[0]!;
  const last = knots[knots.length - 1]!;
  if (L >= last.prompt_tokens) return last.prefill_s + p.tail_slope_s_per_token * (L - last.prompt_tokens);
  if (L < first.prompt_tokens) {
    // Continue the first segment towards zero (the tail slope when there is only one knot).
    const second = knots[1];
    const slope =
      second === undefined
        ? p.tail_slope_s_per_token
        : (second.prefill_s - first.prefill_s) / (second.prompt_tokens - first.prompt_tokens);
    return Math.max(0, first.prefill_s - slope * (first.prompt_tokens - L));
  }
  // Largest i with knots[i].prompt_tokens ≤ L; here first ≤ L < last, so i < knots.length - 1.
  let lo = 0;
  let hi = knots.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (knots[mid]!.prompt_tokens <= L) lo = mid;
    else hi = mid;
  }
  const left = knots[lo]!;
  const right = knots[lo + 1]!;
  const t = (L - left.prompt_tokens) / (right.prompt_tokens - left.prompt_tokens);
  // The clamp keeps rounding from overshooting the next knot, where the next segment starts exactly.
  return Math.min(left.prefill_s + (right.prefill_s - left.prefill_s) * t, right.prefill_s);
}

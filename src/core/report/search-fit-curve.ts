import type { z } from 'zod';
import type { probeReportSchema } from '../api/search-api-schemas.ts';
import { fitLogistic, type LogisticFit, logisticRoot } from '../search/logistic-fit.ts';
import { judgedOnCounts } from '../search/probe-report.ts';
import { partCounts } from '../search/probe-verdict.ts';
import { type PartName, type ProbeCounts, probeCountsSchema } from '../search/search-protocol.ts';

// The model strategy's fitted curve, for the search report: the stored result keeps the root, not
// the fit, but the fit is a pure function of the probes (model-strategy.ts fittedRoot: a logistic
// fit per SLO part on the probes judged on their counts, the root where it crosses the part's
// allowed fraction, the lowest root wins). It is recomputed here and drawn only when its root is
// the stored one, so the page never shows a curve the search did not use.

/** Points on the drawn curve, log-spaced. */
const CURVE_POINTS = 120;
/** The curve extends this factor beyond the lowest and highest probed loads. */
const CURVE_MARGIN = 1.5;
/** Relative tolerance for "the same root" (both are computed by the same code on the same numbers). */
const SAME_ROOT = 1e-9;

export interface SearchFitCurve {
  /** The SLO part whose fit gave the root. */
  part: string;
  /** Its allowed bad fraction. */
  threshold: number;
  /** Where the curve crosses the threshold (the stored root is this, clamped to the bracket). */
  root: number;
  a: number;
  c: number;
  curve: { load: number[]; bad_fraction: number[] };
}

export type SearchFitOutcome = { fit: SearchFitCurve } | { fit: null; why: string };

type ProbeLike = Pick<
  z.infer<typeof probeReportSchema>,
  'offered_load' | 'counts' | 'binding_part' | 'threshold_fraction' | 'reason'
>;

/** The fitted bad fraction at `load`: logit⁻¹(a + c·ln load). */
export function fittedBadFraction(fit: Pick<LogisticFit, 'a' | 'c'>, load: number): number {
  return 1 / (1 + Math.exp(-(fit.a + fit.c * Math.log(load))));
}

export function searchFitCurve(
  probes: readonly ProbeLike[],
  root: { load: number } | null,
  bracket: { lo: number | null; hi: number | null },
): SearchFitOutcome {
  if (root === null) return { fit: null, why: 'no fitted root (the etalon strategy, or too few probes)' };
  const counted = probes.flatMap((p) => {
    const counts = countsOf(p.counts);
    return counts && judgedOnCounts(p) ? [{ load: p.offered_load, counts }] : [];
  });
  // Every part the SLO has was binding in some probe when the search saw it fail or come close;
  // a part that never was is not known here, and the root check below says so.
  const thresholds = new Map<string, number>();
  for (const p of probes) thresholds.set(p.binding_part, p.threshold_fraction);
  let best: SearchFitCurve | null = null;
  for (const [part, threshold] of thresholds) {
    if (!(threshold > 0 && threshold < 1)) continue;
    const points = counted.map(({ load, counts }) => ({ load, ...nBad(part as PartName, counts) }));
    const fit = fitLogistic(points);
    if (!fit) continue;
    const at = logisticRoot(fit, threshold).load;
    if (!Number.isFinite(at) || (best !== null && at >= best.root)) continue;
    best = { part, threshold, a: fit.a, c: fit.c, curve: { load: [], bad_fraction: [] }, root: at };
  }
  // The search reports the fitted root clamped to its bracket (model-strategy.ts modelRoot).
  const clamped = best && Math.min(bracket.hi ?? Infinity, Math.max(bracket.lo ?? 0, best.root));
  if (best === null || clamped === null || Math.abs(clamped - root.load) > SAME_ROOT * root.load)
    return {
      fit: null,
      why: 'the probes do not reproduce the stored root (a root without a fit, or an SLO part never binding)',
    };
  const loads = counted.map((c) => c.load);
  const lo = Math.log(Math.min(...loads, best.root) / CURVE_MARGIN);
  const hi = Math.log(Math.max(...loads, best.root) * CURVE_MARGIN);
  for (let i = 0; i < CURVE_POINTS; i++) {
    const load = Math.exp(lo + ((hi - lo) * i) / (CURVE_POINTS - 1));
    best.curve.load.push(load);
    best.curve.bad_fraction.push(fittedBadFraction(best, load));
  }
  return { fit: best };
}

/** The stored counts as the fit reads them; null when one is missing (an older or partial probe). */
function countsOf(stored: Record<string, number>): ProbeCounts | null {
  const counts: Record<string, number> = {};
  for (const key of Object.keys(probeCountsSchema.shape)) {
    const v = stored[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) return null;
    counts[key] = v;
  }
  return counts as ProbeCounts;
}

function nBad(part: PartName, counts: ProbeCounts): { n: number; bad: number } {
  const { values, bad } = partCounts(part, counts);
  return { n: values, bad };
}

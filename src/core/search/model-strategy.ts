import { fitLogistic, logisticRoot } from './logistic-fit.ts';
import { bracketOf, judgedOnCounts, type LoadPoint, loadPoints } from './probe-report.ts';
import { partCounts, sloParts } from './probe-verdict.ts';
import type { ProbeReport, SearchSettings, SearchStopReason } from './search-protocol.ts';

// The `model` search (docs/capacity-search.md): bracket geometrically from a start load, then
// refine with a binomial logistic fit of the bad fraction on log-load, probing just beside the
// fitted root, clamped inside the bracket. Stateless: every decision is a function of the history.

export type Proposal =
  | { kind: 'probe'; load: number; replicate_of: number | null }
  | { kind: 'stop'; reason: SearchStopReason };

/** Bracketing factors: cold, warm (first step; later steps in the same direction use the cold one). */
const COLD_STEP = 2;
const WARM_STEP = 1.25;
/** Warm start: probe first at this fraction of the given capacity. */
const WARM_START_FRACTION = 0.9;
/** Refinement probes stay within this inner share of the bracket in log space. */
const INNER_LO = 0.15;
const INNER_HI = 0.85;
/** A refinement probe sits (1 + tolerance)^this beside the root, so two of them converge. */
const ROOT_OFFSET = 0.4;

export function warmStartLoad(settings: SearchSettings, given: number | undefined): number | undefined {
  if (settings.warm_start === 'off') return undefined;
  if (settings.warm_start === 'auto') return given;
  return settings.warm_start.load;
}

/** The model's capacity estimate: min over SLO parts of the fitted root, with its 95% interval. */
export function fittedRoot(settings: SearchSettings, reports: readonly ProbeReport[]) {
  let best: { load: number; lo: number; hi: number } | null = null;
  const judged = reports.filter(judgedOnCounts);
  for (const part of sloParts(settings.slo)) {
    const allowed = 1 - part.quantile;
    if (!(allowed > 0 && allowed < 1)) continue;
    const fit = fitLogistic(judged.map((r) => ({ load: r.offered_load, ...nBad(part.name, r) })));
    if (!fit) continue;
    const root = logisticRoot(fit, allowed);
    if (Number.isFinite(root.load) && (best === null || root.load < best.load)) best = root;
  }
  return best;
}

function nBad(name: Parameters<typeof partCounts>[0], r: ProbeReport) {
  const { values, bad } = partCounts(name, r.counts);
  return { n: values, bad };
}

export function modelPoints(settings: SearchSettings, reports: readonly ProbeReport[]): LoadPoint[] {
  return loadPoints(reports, sloParts(settings.slo));
}

export function modelPropose(
  settings: SearchSettings,
  warmLoad: number | undefined,
  reports: readonly ProbeReport[],
): Proposal {
  const points = modelPoints(settings, reports);
  const last = reports.at(-1);
  if (last && !last.resolved && last.replicate_of === null && last.reason !== 'cancelled') {
    const { lo, hi } = bracketOf(points.filter((p) => p.index !== last.index));
    const x = last.offered_load;
    if ((lo === null || x > lo) && (hi === null || x < hi)) {
      return { kind: 'probe', load: x, replicate_of: last.index };
    }
  }
  const { min, max } = settings.load;
  const integer = settings.dimension === 'concurrency';
  const clamp = (x: number) => {
    const c = Math.min(max, Math.max(min, x));
    return integer ? Math.min(max, Math.max(min, Math.round(c))) : c;
  };
  const { lo, hi } = bracketOf(points);
  const settled = points.filter((p) => p.settled);
  const factor = warmLoad !== undefined && settled.length <= 1 ? WARM_STEP : COLD_STEP;
  if (lo === null && hi === null) {
    const start =
      warmLoad !== undefined ? WARM_START_FRACTION * warmLoad : (settings.load.start ?? Math.sqrt(min * max));
    return { kind: 'probe', load: clamp(start), replicate_of: null };
  }
  if (hi === null) {
    if (lo! >= max) return { kind: 'stop', reason: 'lower_bound_only' };
    const x = clamp(lo! * factor);
    return { kind: 'probe', load: integer && x <= lo! ? lo! + 1 : x, replicate_of: null };
  }
  if (lo === null) {
    if (hi <= min) return { kind: 'stop', reason: 'no_passing_load' };
    const x = clamp(hi / factor);
    return { kind: 'probe', load: integer && x >= hi ? hi - 1 : x, replicate_of: null };
  }
  if (hi / lo <= 1 + settings.tolerance || (integer && hi - lo <= 1))
    return { kind: 'stop', reason: 'converged' };
  const lnLo = Math.log(lo);
  const width = Math.log(hi) - lnLo;
  let lnX = lnLo + width / 2;
  const root = fittedRoot(settings, reports);
  if (root && root.load > lo && root.load < hi) {
    const lnRoot = Math.log(root.load);
    const offset = ROOT_OFFSET * Math.log(1 + settings.tolerance);
    // probe on the root's far side from the nearer bound, so the long end moves
    lnX = lnRoot - lnLo < width / 2 ? lnRoot + offset : lnRoot - offset;
  }
  lnX = Math.min(lnLo + INNER_HI * width, Math.max(lnLo + INNER_LO * width, lnX));
  let x = Math.exp(lnX);
  if (integer) x = Math.min(hi - 1, Math.max(lo + 1, Math.round(x)));
  return { kind: 'probe', load: x, replicate_of: null };
}

/**
 * The reported root: the fitted capacity clamped to the bracket, with the fit's 95% interval. The
 * interval is not clamped to the bracket (near the knee the bracket's ends are themselves uncertain)
 * but to the confident bounds: the highest resolved pass and the lowest resolved failure. Without a
 * fit: the bracket's geometric middle and the bracket. The interval is never narrower than one
 * tolerance either side of the root.
 */
export function modelRoot(settings: SearchSettings, reports: readonly ProbeReport[], lo: number, hi: number) {
  const root = fittedRoot(settings, reports);
  if (!root) return { load: Math.sqrt(lo * hi), lo, hi };
  let outerLo: number | null = null;
  let outerHi: number | null = null;
  for (const r of reports) {
    if (!r.resolved) continue;
    const x = r.offered_load;
    if (r.verdict === 'pass' && x <= lo && (outerLo === null || x > outerLo)) outerLo = x;
    if (r.verdict === 'fail' && x >= hi && (outerHi === null || x < outerHi)) outerHi = x;
  }
  const load = Math.min(hi, Math.max(lo, root.load));
  // never narrower than the search's own resolution: one tolerance on each side
  const widen = 1 + settings.tolerance;
  return {
    load,
    lo: Math.min(load / widen, Math.max(outerLo ?? lo, root.lo)),
    hi: Math.max(load * widen, Math.min(outerHi ?? hi, root.hi)),
  };
}

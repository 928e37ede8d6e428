import { achievedRateFails, addCounts, countsVerdict, partCounts, probeDecision } from './probe-verdict.ts';
import type {
  PartName,
  ProbeAbortRule,
  ProbeCounts,
  ProbeOutcome,
  ProbeReport,
  ProbeSpec,
  RegionProbeReport,
} from './search-protocol.ts';
import { intervalSide, wilsonInterval } from './wilson-interval.ts';

// Turning a probe's outcome into its verdict, and a history of probes into what the search knows:
// which loads are settled pass or fail (docs/capacity-search.md#replicates).

/** A part's bad fraction, its allowed fraction (1 − quantile) and the 95% Wilson interval. */
function partStats(part: { name: PartName; quantile: number }, counts: ProbeCounts) {
  const { values, bad } = partCounts(part.name, counts);
  const allowed = 1 - part.quantile;
  const interval = wilsonInterval(bad, values);
  const fraction = values > 0 ? bad / values : 1;
  const ratio = allowed > 0 ? fraction / allowed : fraction > 0 ? Number.POSITIVE_INFINITY : 0;
  return {
    name: part.name,
    values,
    bad,
    allowed,
    interval,
    fraction,
    ratio,
    side: intervalSide(interval, allowed),
  };
}

/** Judges one probe: gates first, then the exact counts, then the caller's interpolated verdict. */
export function judgeOutcome(spec: ProbeSpec, outcome: ProbeOutcome): ProbeReport {
  const rule = spec.abort;
  const counts = outcome.counts;
  const parts = rule.parts.map((p) => partStats(p, counts));
  const binding = parts.reduce((w, p) => (p.ratio > w.ratio ? p : w), parts[0]!);
  let verdict: 'pass' | 'fail';
  let resolved: boolean;
  let reason: ProbeReport['reason'] = outcome.aborted ?? 'complete';
  if (outcome.aborted === 'cancelled') {
    verdict = 'fail';
    resolved = false;
  } else if (counts.errors >= rule.fail_at_errors) {
    [verdict, resolved, reason] = ['fail', true, 'error_bound'];
  } else if (outcome.achieved_load !== null && achievedRateFails(rule, outcome.achieved_load)) {
    [verdict, resolved, reason] = ['fail', true, 'achieved_rate'];
  } else {
    const decision = probeDecision(rule, counts);
    verdict = decision ? decision.verdict : outcome.slo_passed === true ? 'pass' : 'fail';
    if (decision === null && counts.requests < rule.planned_requests && outcome.slo_passed === null) {
      // ended early without a decision the counts show: judged fail, never resolved
      resolved = false;
    } else if (verdict === 'fail') {
      resolved = parts.some((p) => p.side === 'above');
    } else {
      resolved = parts.every((p) => p.side === 'below');
    }
  }
  return {
    index: spec.index,
    offered_load: spec.load,
    achieved_load: outcome.achieved_load,
    replicate_of: spec.replicate_of,
    planned_requests: spec.requests,
    requests: counts.requests,
    bad: counts.bad,
    errors: counts.errors,
    output_tokens: counts.output_tokens,
    counts,
    binding_part: binding.name,
    bad_fraction: binding.fraction,
    threshold_fraction: binding.allowed,
    interval: binding.interval,
    statistic: outcome.statistic,
    verdict,
    resolved,
    reason,
    elapsed_s: outcome.elapsed_s,
    regions: Object.fromEntries(
      Object.entries(outcome.regions).map(([name, r]) => [
        name,
        judgeRegion(rule, r.counts, r.achieved_load),
      ]),
    ),
  };
}

/** A region judged on its own counts: its error rate against the bound, then its SLO counts. */
function judgeRegion(
  rule: ProbeAbortRule,
  counts: ProbeCounts,
  achieved_load: number | null,
): RegionProbeReport {
  const parts = rule.parts.map((p) => partStats(p, counts));
  const binding = parts.reduce((w, p) => (p.ratio > w.ratio ? p : w), parts[0]!);
  const errorBound = rule.fail_at_errors / rule.planned_requests;
  let verdict: RegionProbeReport['verdict'];
  let resolved: boolean;
  if (counts.requests > 0 && counts.errors / counts.requests >= errorBound) {
    [verdict, resolved] = ['fail', true];
  } else {
    const v = countsVerdict(rule, counts);
    verdict = v === 'interpolate' ? null : v;
    resolved =
      verdict === 'fail' ? parts.some((p) => p.side === 'above') : parts.every((p) => p.side === 'below');
  }
  return {
    requests: counts.requests,
    bad: counts.bad,
    errors: counts.errors,
    achieved_load,
    binding_part: binding.name,
    bad_fraction: binding.fraction,
    interval: binding.interval,
    verdict,
    resolved: verdict !== null && resolved,
  };
}

/** Per region: highest passing load below the lowest failing one, from the region's own verdicts. */
export function regionBrackets(reports: readonly ProbeReport[]) {
  const names = new Set(reports.flatMap((r) => Object.keys(r.regions)));
  const out: Record<string, { bracket: { lo: number | null; hi: number | null } }> = {};
  for (const name of names) {
    const points: LoadPoint[] = [];
    for (const r of reports) {
      const region = r.regions[name];
      if (!region || region.verdict === null || r.reason === 'cancelled') continue;
      points.push({
        load: r.offered_load,
        index: r.index,
        verdict: region.verdict,
        settled: true,
        replicated: false,
      });
    }
    out[name] = { bracket: bracketOf(points) };
  }
  return out;
}

/** Whether a report was judged on its SLO counts (not a gate, not cancelled). */
export function judgedOnCounts(r: { reason: string }): boolean {
  return r.reason === 'complete' || r.reason === 'verdict_decided';
}

/** What the search knows about one load: an original probe and its replicate, if any. */
export interface LoadPoint {
  load: number;
  /** Index of the original probe. */
  index: number;
  verdict: 'pass' | 'fail';
  /** May move a bound: resolved, decided by a gate, or replicated. */
  settled: boolean;
  replicated: boolean;
}

/**
 * Groups probes with their replicates. A replicated load's verdict: the common verdict when both
 * agree, else the combined bad fraction against the allowed fraction (per part, fail if any).
 */
export function loadPoints(reports: readonly ProbeReport[], parts: { name: PartName; quantile: number }[]) {
  const points: LoadPoint[] = [];
  for (const r of reports) {
    if (r.reason === 'cancelled') continue;
    if (r.replicate_of === null) {
      points.push({
        load: r.offered_load,
        index: r.index,
        verdict: r.verdict,
        settled: r.resolved,
        replicated: false,
      });
      continue;
    }
    const point = points.find((p) => p.index === r.replicate_of);
    const original = reports[r.replicate_of];
    if (!point || !original) continue;
    point.replicated = true;
    point.settled = true;
    if (r.resolved) point.verdict = r.verdict;
    else if (original.verdict !== r.verdict && judgedOnCounts(original) && judgedOnCounts(r)) {
      const combined = addCounts(original.counts, r.counts);
      point.verdict = parts.some((p) => partStats(p, combined).fraction > 1 - p.quantile) ? 'fail' : 'pass';
    } else if (!judgedOnCounts(r)) point.verdict = r.verdict;
  }
  return points;
}

/** The bracket from settled points: hi = lowest settled fail, lo = highest settled pass below it. */
export function bracketOf(points: readonly LoadPoint[]): { lo: number | null; hi: number | null } {
  let hi: number | null = null;
  for (const p of points) if (p.settled && p.verdict === 'fail' && (hi === null || p.load < hi)) hi = p.load;
  let lo: number | null = null;
  for (const p of points) {
    if (p.settled && p.verdict === 'pass' && (hi === null || p.load < hi) && (lo === null || p.load > lo)) {
      lo = p.load;
    }
  }
  return { lo, hi };
}

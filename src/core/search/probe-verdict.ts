import { deadlineCounts, missRate } from '../metrics/fluidity.ts';
import { sToUs } from '../metrics/units.ts';
import type {
  AbortPart,
  ClassifiedRequest,
  PartName,
  ProbeAbortRule,
  ProbeCounts,
  ProbeDecision,
  ProbeTiming,
  RequestVerdict,
  SearchSlo,
} from './search-protocol.ts';
import { attainmentMet, meanTpotUs, missesObjectives } from './slo.ts';

// A probe's SLO verdict as counts. Every percentile SLO here is "P_q of some values ≤ threshold";
// call a value bad when it is above the threshold. With the type-7 percentile (h = (n−1)·q,
// interpolating between sorted[floor h] and the next value) the verdict depends only on how many
// of the n values are bad, except in one narrow band where the interpolation decides. So a shard
// classifies each request, the coordinator adds the counts, and the probe can end as soon as its
// verdict can no longer change (docs/capacity-search.md#exact-early-abort).

/** Smallest bad count for which P_q of n values lies wholly on bad values (fail, whatever the values). */
export function percentileFailAtBad(n: number, q: number): number {
  return n - Math.floor((n - 1) * q);
}

/** Largest bad count for which P_q of n values lies wholly on good values (pass, whatever the values). */
export function percentilePassAtMostBad(n: number, q: number): number {
  return n - Math.ceil((n - 1) * q) - 1;
}

/** Smallest bad count of n requests that misses an attainment target. */
export function attainmentFailAtBad(n: number, target: number): number {
  let bad = Math.max(0, Math.floor((1 - target) * n) - 2);
  while (attainmentMet(bad, n, target)) bad++;
  return bad;
}

export function emptyCounts(): ProbeCounts {
  return {
    requests: 0,
    errors: 0,
    bad: 0,
    output_tokens: 0,
    ttft_values: 0,
    ttft_bad: 0,
    tpot_values: 0,
    tpot_bad: 0,
    tbt_values: 0,
    tbt_bad: 0,
    miss_rate_values: 0,
    miss_rate_bad: 0,
  };
}

/** a + b, field by field (what the coordinator does with shard reports). */
export function addCounts(a: ProbeCounts, b: ProbeCounts): ProbeCounts {
  const out = emptyCounts();
  for (const key of Object.keys(out) as (keyof ProbeCounts)[]) out[key] = a[key] + b[key];
  return out;
}

/** The counted parts of an SLO with their quantile (attainment: the target fraction). */
export function sloParts(slo: SearchSlo): { name: PartName; quantile: number }[] {
  switch (slo.type) {
    case 'deadline':
      return [{ name: 'miss_rate', quantile: slo.miss_rate_percentile }];
    case 'tbt_ttft':
      return [
        { name: 'tbt', quantile: slo.tbt_percentile },
        { name: 'ttft', quantile: slo.ttft_percentile },
      ];
    case 'ttft_tpot':
      return [
        { name: 'ttft', quantile: slo.ttft_percentile },
        { name: 'tpot', quantile: slo.tpot_percentile },
      ];
    case 'attainment':
      return [{ name: 'attainment', quantile: slo.target }];
  }
}

/** A part's values and bad values in the counts. Attainment counts requests. */
export function partCounts(name: PartName, c: ProbeCounts): { values: number; bad: number } {
  switch (name) {
    case 'attainment':
      return { values: c.requests, bad: c.bad };
    case 'ttft':
      return { values: c.ttft_values, bad: c.ttft_bad };
    case 'tpot':
      return { values: c.tpot_values, bad: c.tpot_bad };
    case 'tbt':
      return { values: c.tbt_values, bad: c.tbt_bad };
    case 'miss_rate':
      return { values: c.miss_rate_values, bad: c.miss_rate_bad };
  }
}

/**
 * One measured request's contribution to the counts. A failed request (`ok: false`) is one
 * request, one error and a bad value in every per-request part; for pooled TBT its received
 * inter-token times are counted as usual plus one bad value for the broken stream. A request
 * that succeeded without any token is bad too (no TTFT). Only the SLO's own parts are filled.
 * `predictPrefillUs` (µs for a prompt length) is required for `deadline`.
 */
export function classifyRequest(
  slo: SearchSlo,
  request: ClassifiedRequest,
  predictPrefillUs?: (promptTokens: number) => number,
): RequestVerdict {
  const c = emptyCounts();
  const itt = request.ittUs;
  c.requests = 1;
  c.output_tokens = itt.length;
  const failed = !request.ok;
  if (failed) c.errors = 1;
  const ttftUs = itt.length > 0 ? (itt[0] as number) : request.ttftUs;
  let requestBad = failed;
  switch (slo.type) {
    case 'deadline': {
      if (!predictPrefillUs) throw new Error('the deadline SLO needs a prefill predictor');
      c.miss_rate_values = 1;
      let bad = failed || itt.length === 0;
      if (!bad) {
        const prefillUs = predictPrefillUs(request.promptTokens);
        if (!Number.isFinite(prefillUs)) throw new RangeError(`prefill predictor returned ${prefillUs}`);
        const ttftDeadlineUs = Math.max(0, Math.round(prefillUs)) + sToUs(slo.ttft_slack_s);
        bad = missRate(deadlineCounts(itt, ttftDeadlineUs, sToUs(slo.tbt_slo_s))) > slo.miss_rate_slo;
      }
      c.miss_rate_bad = bad ? 1 : 0;
      requestBad ||= bad;
      break;
    }
    case 'tbt_ttft': {
      const tbtUs = sToUs(slo.tbt_slo_s);
      c.tbt_values = Math.max(0, itt.length - 1) + (failed ? 1 : 0);
      for (let i = 1; i < itt.length; i++) if ((itt[i] as number) > tbtUs) c.tbt_bad++;
      if (failed) c.tbt_bad++;
      const ttftBad = failed || ttftUs === null || ttftUs > sToUs(slo.ttft_slo_s);
      c.ttft_values = 1;
      c.ttft_bad = ttftBad ? 1 : 0;
      requestBad ||= ttftBad || c.tbt_bad > 0;
      break;
    }
    case 'ttft_tpot': {
      const ttftBad = failed || ttftUs === null || ttftUs > sToUs(slo.ttft_slo_s);
      c.ttft_values = 1;
      c.ttft_bad = ttftBad ? 1 : 0;
      if (failed || itt.length >= 2) {
        c.tpot_values = 1;
        c.tpot_bad = failed || meanTpotUs(itt) > sToUs(slo.tpot_slo_s) ? 1 : 0;
      }
      requestBad ||= ttftBad || c.tpot_bad > 0;
      break;
    }
    case 'attainment':
      requestBad ||= missesObjectives(itt, sToUs(slo.ttft_slo_s), sToUs(slo.tpot_slo_s));
      break;
  }
  c.bad = requestBad ? 1 : 0;
  return c;
}

/**
 * The abort rule of a probe of N planned measured requests. `maxOutputTokensPerRequest` bounds the
 * pooled TBT values (N × it, failures included); without it TBT is judged only once all are in.
 */
export function createAbortRule(args: {
  slo: SearchSlo;
  plannedRequests: number;
  offeredLoad: number;
  errorRateBound: number;
  achievedRateTolerance: number;
  minElapsed_s: number;
  maxOutputTokensPerRequest?: number;
}): ProbeAbortRule {
  const n = args.plannedRequests;
  const parts: AbortPart[] = sloParts(args.slo).map(({ name, quantile }) => {
    const planned =
      name !== 'tbt' ? n : args.maxOutputTokensPerRequest ? n * args.maxOutputTokensPerRequest : null;
    const failAt =
      planned === null
        ? null
        : name === 'attainment'
          ? attainmentFailAtBad(planned, quantile)
          : percentileFailAtBad(planned, quantile);
    return { name, quantile, planned_values: planned, fail_at_bad: failAt };
  });
  return {
    slo_type: args.slo.type,
    planned_requests: n,
    parts,
    fail_at_errors: errorFailAt(n, args.errorRateBound),
    offered_load: args.offeredLoad,
    achieved_rate_tolerance: args.achievedRateTolerance,
    min_elapsed_s: args.minElapsed_s,
  };
}

/** Smallest error count e with e / n ≥ bound (at least 1): the error bound is then exceeded. */
export function errorFailAt(n: number, bound: number): number {
  let e = Math.max(1, Math.floor(bound * n) - 1);
  while (e / n < bound) e++;
  while (e > 1 && (e - 1) / n >= bound) e--;
  return e;
}

/**
 * With every measured request in: each part's verdict from its exact counts, 'interpolate' when a
 * percentile falls between a good and a bad value (then only the values decide: probeSloPassed).
 * A part without values fails.
 */
export function countsVerdict(rule: ProbeAbortRule, counts: ProbeCounts): 'pass' | 'fail' | 'interpolate' {
  let verdict: 'pass' | 'fail' | 'interpolate' = 'pass';
  for (const part of rule.parts) {
    const { values, bad } = partCounts(part.name, counts);
    if (part.name === 'attainment') {
      if (!attainmentMet(bad, values, part.quantile)) return 'fail';
      continue;
    }
    if (values === 0 || bad >= percentileFailAtBad(values, part.quantile)) return 'fail';
    if (bad > percentilePassAtMostBad(values, part.quantile)) verdict = 'interpolate';
  }
  return verdict;
}

/** Relative slack on the achieved-rate gate, so float noise at the exact boundary does not fail it. */
const RATE_EPSILON = 1e-9;

/** True when the achieved load is too far below the offered load. */
export function achievedRateFails(rule: ProbeAbortRule, achieved: number): boolean {
  return !(achieved >= rule.offered_load * (1 - rule.achieved_rate_tolerance) * (1 - RATE_EPSILON));
}

/**
 * The coordinator's decision from the summed counts: null while the verdict can still change.
 * Order: error bound, achieved rate (only with timing, after min_elapsed_s), a part decided fail
 * by its planned values, then — all measured requests in — the exact counts (null when the type-7
 * interpolation must decide).
 */
export function probeDecision(
  rule: ProbeAbortRule,
  counts: ProbeCounts,
  timing?: ProbeTiming,
): ProbeDecision {
  if (counts.errors >= rule.fail_at_errors) return { verdict: 'fail', reason: 'error_bound' };
  if (timing && timing.elapsed_s >= rule.min_elapsed_s && achievedRateFails(rule, timing.achieved_load)) {
    return { verdict: 'fail', reason: 'achieved_rate' };
  }
  for (const part of rule.parts) {
    if (part.fail_at_bad !== null && partCounts(part.name, counts).bad >= part.fail_at_bad) {
      return { verdict: 'fail', reason: 'verdict_decided' };
    }
  }
  if (counts.requests < rule.planned_requests) return null;
  const verdict = countsVerdict(rule, counts);
  return verdict === 'interpolate' ? null : { verdict, reason: 'verdict_decided' };
}

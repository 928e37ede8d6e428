import { deadlineCounts, missRate } from '../metrics/fluidity.ts';
import { percentileSorted } from '../metrics/percentile.ts';
import { sToUs, usToS } from '../metrics/units.ts';
import type { ClassifiedRequest, SearchSlo } from './search-protocol.ts';
import { attainmentMet, meanTpotUs, missesObjectives } from './slo.ts';

// The exact SLO verdict of a finished probe, judged the way classifyRequest counts: a failed
// request (or one without any token) is an infinitely bad value in every per-request part, and a
// failed stream adds one infinitely bad TBT value. Needed only when the counts leave the type-7
// interpolation to decide; its `passed` goes into ProbeOutcome.slo_passed.

export interface ProbeSloVerdict {
  passed: boolean;
  /** The binding part's statistic: seconds for durations, a ratio otherwise; null when infinite or empty. */
  statistic: number | null;
}

/** Type-7 percentile where +∞ stands for a failed value (never NaN). Null for no values. */
function percentileWithFailures(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  if (sorted[lo] === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (h === lo || lo + 1 >= sorted.length) return sorted[lo]!;
  if (sorted[lo + 1] === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  return percentileSorted(sorted, q);
}

interface Part {
  statistic: number | null;
  threshold: number;
  /** Converts the statistic to the reported unit. */
  report: (v: number) => number;
}

export function evaluateProbeSlo(
  slo: SearchSlo,
  requests: readonly ClassifiedRequest[],
  predictPrefillUs?: (promptTokens: number) => number,
): ProbeSloVerdict {
  const inf = Number.POSITIVE_INFINITY;
  const broken = (r: ClassifiedRequest) => !r.ok || r.ittUs.length === 0;
  const ttft = () => requests.map((r) => (broken(r) ? inf : (r.ittUs[0] as number)));
  const time = (values: number[], q: number, threshold_s: number): Part => ({
    statistic: percentileWithFailures(values, q),
    threshold: sToUs(threshold_s),
    report: usToS,
  });
  let parts: Part[];
  switch (slo.type) {
    case 'deadline': {
      if (!predictPrefillUs) throw new Error('the deadline SLO needs a prefill predictor');
      const rates = requests.map((r) => {
        if (broken(r)) return inf;
        const ttftDeadlineUs =
          Math.max(0, Math.round(predictPrefillUs(r.promptTokens))) + sToUs(slo.ttft_slack_s);
        return missRate(deadlineCounts(r.ittUs, ttftDeadlineUs, sToUs(slo.tbt_slo_s)));
      });
      parts = [
        {
          statistic: percentileWithFailures(rates, slo.miss_rate_percentile),
          threshold: slo.miss_rate_slo,
          report: (v) => v,
        },
      ];
      break;
    }
    case 'tbt_ttft': {
      const tbt: number[] = [];
      for (const r of requests) {
        for (let i = 1; i < r.ittUs.length; i++) tbt.push(r.ittUs[i] as number);
        if (!r.ok) tbt.push(inf);
      }
      parts = [
        time(tbt, slo.tbt_percentile, slo.tbt_slo_s),
        time(ttft(), slo.ttft_percentile, slo.ttft_slo_s),
      ];
      break;
    }
    case 'ttft_tpot': {
      const tpot = requests.flatMap((r) =>
        !r.ok ? [inf] : r.ittUs.length >= 2 ? [meanTpotUs(r.ittUs)] : [],
      );
      parts = [
        time(ttft(), slo.ttft_percentile, slo.ttft_slo_s),
        time(tpot, slo.tpot_percentile, slo.tpot_slo_s),
      ];
      break;
    }
    case 'attainment': {
      const ttftUs = sToUs(slo.ttft_slo_s);
      const tpotUs = sToUs(slo.tpot_slo_s);
      const missed = requests.filter((r) => !r.ok || missesObjectives(r.ittUs, ttftUs, tpotUs)).length;
      const n = requests.length;
      return { passed: attainmentMet(missed, n, slo.target), statistic: n === 0 ? null : missed / n };
    }
  }
  const passedPart = (p: Part) => p.statistic !== null && p.statistic <= p.threshold;
  const ratio = (p: Part) =>
    p.statistic === null
      ? inf
      : p.threshold === 0
        ? p.statistic === 0
          ? 1
          : inf
        : p.statistic / p.threshold;
  const binding = parts.reduce((w, p) => (ratio(p) > ratio(w) ? p : w), parts[0]!);
  const s = binding.statistic;
  return {
    passed: parts.every(passedPart),
    statistic: s === null || !Number.isFinite(s) ? null : binding.report(s),
  };
}

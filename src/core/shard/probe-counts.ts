import { interTokenTimesUs } from '../metrics/token-times.ts';
import { predictPrefillUs } from '../profile/prefill-predictor.ts';
import type { PredictorParams } from '../profile/prefill-profile.ts';
import type { RequestRecord } from '../record/request-record.ts';
import { addCounters, type ShardProgress } from '../run/run-status.ts';
import { classifyRequest, emptyCounts, probeDecision } from '../search/probe-verdict.ts';
import type {
  AbortReason,
  ClassifiedRequest,
  ProbeAbortRule,
  ProbeCounts,
  SearchSlo,
} from '../search/search-protocol.ts';

// A capacity-search probe run's exact early abort, as the run machinery does it: each shard
// classifies every measured request into its counts, the coordinator sums them and asks the
// probe's rule whether the verdict is decided (docs/campaigns.md).

/** What a probe run carries to its coordinator and shards: the SLO requests are judged by, and the rule. */
export interface ProbeRunRule {
  slo: SearchSlo;
  abort: ProbeAbortRule;
  /** A `deadline` SLO's prefill predictor (from its stored profile). */
  prefill?: PredictorParams;
}

/** Why a probe run stopped early: the decision, the summed counts then, and the run's reason text. */
export interface ProbeStop {
  verdict: 'pass' | 'fail';
  why: AbortReason;
  counts: ProbeCounts;
  /** The same counts per region (they add up to `counts`). */
  regions: Record<string, ProbeCounts>;
  /** Seconds since the schedule's start when it was decided. */
  elapsed_s: number;
  /** The run's end reason, e.g. `probe decided: fail (verdict_decided) after 11 bad of 1000 planned`. */
  reason: string;
}

/**
 * Counts one finished request of a probe run into the shard's `probe_counts`. Warm-up requests and
 * requests cut short by the run's own stop (`cancelled`) are not counted; every other failure is bad.
 * True when the shard's own counts already decide the probe: it should report them at once rather
 * than at its next heartbeat, so the probe stops within a round trip of the deciding request.
 */
export function countProbeRequest(
  progress: ShardProgress,
  probe: ProbeRunRule,
  record: RequestRecord,
  warmup: boolean,
): boolean {
  if (warmup || record.outcome === 'cancelled') return false;
  const predict = probe.prefill;
  const verdict = classifyRequest(
    probe.slo,
    classifiedOf(record),
    predict ? (tokens) => predictPrefillUs(predict, tokens) : undefined,
  );
  progress.probe_counts = addCounters(progress.probe_counts ?? {}, verdict);
  // Bad and error counts only grow: what this shard alone decides, the summed counts decide too.
  return probeDecision(probe.abort, probeCountsOf(progress.probe_counts)) !== null;
}

/** A request record as the search classifies it. */
export function classifiedOf(record: RequestRecord): ClassifiedRequest {
  const ittUs = interTokenTimesUs(record.chunks);
  return {
    ok: record.outcome === 'ok',
    promptTokens: record.prompt_tokens,
    ttftUs: ittUs.length > 0 ? (ittUs[0] ?? null) : null,
    ittUs,
  };
}

/** Summed shard counts as the search's type (missing fields are 0). */
export function probeCountsOf(counts: Readonly<Record<string, number>>): ProbeCounts {
  const full = emptyCounts();
  for (const key of Object.keys(full) as (keyof ProbeCounts)[]) full[key] = counts[key] ?? 0;
  return full;
}

/** Requests that must have been due before the achieved rate is judged early (noise of a few sends). */
const MIN_DUE_FOR_RATE = 50;
/**
 * Seconds of sending the early rate check forgives: a shard between two alarm slices sends its
 * backlog at once when the next slice starts, so a short gap is not a shortfall. Only a probe
 * clearly behind is ended early; the whole probe's achieved rate is judged again at its end.
 */
const RATE_GRACE_S = 2;

/**
 * The coordinator's check on the summed counts; null while the probe must go on. The achieved
 * rate is judged (open loop only) once the rule's minimum time has passed and 50 requests were
 * due, from the requests sent by then (warm-up included: they follow the same schedule), with a
 * grace of RATE_GRACE_S.
 */
export function judgeProbeCounts(
  probe: ProbeRunRule,
  summed: Readonly<Record<string, number>>,
  run: {
    elapsed_s: number;
    dispatched: number;
    closedLoop: boolean;
    regions: Readonly<Record<string, Readonly<Record<string, number>>>>;
  },
): ProbeStop | null {
  const counts = probeCountsOf(summed);
  const rule = probe.abort;
  const graced_s = run.elapsed_s - RATE_GRACE_S;
  const judgeRate =
    !run.closedLoop &&
    graced_s > 0 &&
    run.elapsed_s >= rule.min_elapsed_s &&
    graced_s * rule.offered_load >= MIN_DUE_FOR_RATE;
  const decision = probeDecision(
    rule,
    counts,
    judgeRate ? { elapsed_s: run.elapsed_s, achieved_load: run.dispatched / graced_s } : undefined,
  );
  if (decision === null) return null;
  return {
    verdict: decision.verdict,
    why: decision.reason,
    counts,
    regions: Object.fromEntries(Object.entries(run.regions).map(([r, c]) => [r, probeCountsOf(c)])),
    elapsed_s: run.elapsed_s,
    reason: `probe decided: ${decision.verdict} (${decision.reason}) after ${counts.bad} bad, ${counts.errors} errors of ${counts.requests} measured, ${rule.planned_requests} planned`,
  };
}

import { interTokenTimesUs } from '../metrics/token-times.ts';
import type { RequestRecord } from '../record/request-record.ts';
import type { ShardProgress } from '../run/run-status.ts';
import {
  addRequestVerdict,
  classifyRequest,
  type ProbeAbortRule,
  type ProbeCounts,
  probeDecision,
} from '../search/search-protocol.ts';

// A capacity-search probe run's exact early abort, as the run machinery does it: each shard
// classifies every measured request into its counts, the coordinator sums them and asks the
// probe's rule whether the verdict is decided (docs/campaigns.md).

/** Why a probe run stopped early: the decision, the summed counts then, and the run's reason text. */
export interface ProbeStop {
  verdict: 'pass' | 'fail';
  why: 'verdict_decided' | 'error_bound' | 'achieved_rate';
  counts: Record<string, number>;
  /** Milliseconds since the schedule's start when it was decided. */
  elapsedMs: number;
  /** The run's end reason, e.g. `probe decided: fail (verdict_decided) after 11 bad of 1000 planned`. */
  reason: string;
}

/**
 * Counts one finished request of a probe run into the shard's `probe_counts`. Warm-up requests and
 * requests cut short by the run's own stop (`cancelled`) are not counted; every other failure is bad.
 */
export function countProbeRequest(
  progress: ShardProgress,
  rule: ProbeAbortRule,
  record: RequestRecord,
  warmup: boolean,
): void {
  if (warmup || record.outcome === 'cancelled') return;
  const ittUs = interTokenTimesUs(record.chunks);
  const verdict = classifyRequest(rule.slo, {
    ok: record.outcome === 'ok',
    promptTokens: record.prompt_tokens,
    ttftUs: ittUs.length > 0 ? (ittUs[0] ?? null) : null,
    ittUs,
  });
  const counts = (progress.probe_counts ?? {}) as ProbeCounts & Record<string, number>;
  addRequestVerdict(counts, verdict, record.output_tokens);
  progress.probe_counts = counts;
}

/** The coordinator's check on the summed counts; null while the probe must go on. */
export function judgeProbeCounts(
  rule: ProbeAbortRule,
  counts: Readonly<Record<string, number>>,
  elapsedMs: number,
): ProbeStop | null {
  const decision = probeDecision(rule, { ...(counts as ProbeCounts), elapsed_ms: Math.max(0, elapsedMs) });
  if (decision === null) return null;
  const bad = counts.bad ?? 0;
  return {
    verdict: decision.verdict,
    why: decision.reason,
    counts: { ...counts },
    elapsedMs,
    reason: `probe decided: ${decision.verdict} (${decision.reason}) after ${bad} bad of ${rule.requests} planned`,
  };
}

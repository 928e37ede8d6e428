import type { RunResults } from '../api/run-results-schema.ts';
import type { ProbeOutcome, SearchSettings } from '../search/search-protocol.ts';
import type { ProbeStop } from '../shard/probe-counts.ts';

// What a finished probe run tells the search: its counts (at the early decision when there was
// one), the load it achieved, what it cost, and why it stopped.

export interface ProbeRunEnd {
  /** The load the probe asked for. */
  load: number;
  /** The summed probe counts when the run ended. */
  counts: Readonly<Record<string, number>>;
  /** The early decision, when the probe's rule ended the run. */
  stop: ProbeStop | null;
  /** The run's results (null when it ended without any). */
  results: RunResults | null;
  /** True when the search was cancelled during this probe. */
  cancelled: boolean;
  /** The probe's wall time, seconds. */
  elapsed_s: number;
}

export function probeOutcomeOf(settings: SearchSettings, end: ProbeRunEnd): ProbeOutcome {
  const counts = end.stop?.counts ?? end.counts;
  const measured = end.results?.summary.output_tokens;
  const outputTokens =
    counts.output_tokens ??
    (measured && measured.mean !== null ? Math.round(measured.mean * measured.count) : 0);
  return {
    offered_load: end.load,
    achieved_load: settings.dimension === 'qps' ? (end.results?.load.achieved_qps ?? null) : null,
    requests: counts.requests ?? 0,
    bad: counts.bad ?? 0,
    errors: counts.errors ?? 0,
    output_tokens: outputTokens,
    elapsed_s: end.elapsed_s,
    statistic: null,
    aborted: end.cancelled ? 'cancelled' : (end.stop?.why ?? null),
  };
}

import type { RunResults } from '../api/run-results-schema.ts';
import type { ProbeOutcome, SearchSettings } from '../search/search-protocol.ts';
import { type ProbeStop, probeCountsOf } from '../shard/probe-counts.ts';

// What a finished probe run tells the search: its counts (at the early decision when there was
// one), the load it achieved, what it cost, and why it stopped.

/** Measured sends below which a probe's achieved rate is reported unknown. */
const MIN_SENDS_TO_TIME = 10;

export interface ProbeRunEnd {
  /** The load the probe asked for. */
  load: number;
  /** The summed probe counts when the run ended, overall and per region. */
  counts: Readonly<Record<string, number>>;
  regions: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The exact SLO verdict from the probe's records, when it ran to the end (else null). */
  slo: { passed: boolean; statistic: number | null } | null;
  /** The early decision, when the probe's rule ended the run. */
  stop: ProbeStop | null;
  /** The run's results (null when it ended without any). */
  results: RunResults | null;
  /** Warm-up requests the probe planned (sent before measuring). */
  warmupRequests: number;
  /** True when the search was cancelled during this probe. */
  cancelled: boolean;
  /** The probe's wall time, seconds. */
  elapsed_s: number;
}

/**
 * The outcome the search records. The achieved load is the open-loop rate measured over the run
 * (sends of measured requests, first to last; unknown below 10 sends); a closed loop reports none
 * (its load is its streams).
 */
export function probeOutcomeOf(settings: SearchSettings, end: ProbeRunEnd): ProbeOutcome {
  const counts = end.stop?.counts ?? probeCountsOf(end.counts);
  // A rate timed over a handful of sends says nothing (two sends 1 ms apart are "1000 qps").
  const timed = (end.results?.load.requests_sent ?? 0) >= MIN_SENDS_TO_TIME;
  const achieved = settings.dimension === 'qps' && timed ? (end.results?.load.achieved_qps ?? null) : null;
  return {
    offered_load: end.load,
    achieved_load: achieved === null ? null : Math.max(0, achieved),
    counts,
    warmup_requests: end.warmupRequests,
    elapsed_s: Math.max(0, end.elapsed_s),
    statistic: end.slo?.statistic ?? null,
    slo_passed: end.slo?.passed ?? null,
    aborted: end.cancelled ? 'cancelled' : (end.stop?.why ?? null),
    regions: Object.fromEntries(
      Object.entries(end.stop?.regions ?? end.regions).map(([region, c]) => [
        region,
        { counts: probeCountsOf(c), achieved_load: null },
      ]),
    ),
  };
}

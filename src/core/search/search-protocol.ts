import { z } from 'zod';
import { SEARCH_LIMITS, type SearchSettings, type SearchSlo } from './search-settings.ts';

// The contract between the pure capacity search (this folder) and whoever runs its probes (the
// campaign orchestration, the benchmark, tests). Keys are snake_case like the API. Everything a
// caller stores or replays is described here; docs/capacity-search.md explains the algorithm.
// This interface only grows: fields are added, never renamed or removed.

export {
  SEARCH_LIMITS,
  type SearchSettings,
  type SearchSettingsInput,
  type SearchSlo,
  searchArrivalsSchema,
  searchSettingsSchema,
  searchSloSchema,
} from './search-settings.ts';

const load = z.number().finite().min(SEARCH_LIMITS.min_load).max(SEARCH_LIMITS.max_load);

/** The per-request SLO parts a probe counts. `attainment` counts requests missing any objective. */
export type PartName = 'ttft' | 'tpot' | 'tbt' | 'miss_rate' | 'attainment';

/**
 * Sums a shard reports for the measured requests it finished, and what the coordinator adds up.
 * Every field is a non-negative integer that adds across shards. `<part>_values` counts the values
 * a part's percentile is taken over so far, `<part>_bad` those above the part's threshold (failed
 * requests count as bad values; see classifyRequest).
 */
export const probeCountsSchema = z.strictObject({
  /** Measured requests finished (ok or failed). */
  requests: z.int().min(0),
  /** Failed measured requests. */
  errors: z.int().min(0),
  /** Requests bad in any per-request part, failures included (the attainment count). */
  bad: z.int().min(0),
  output_tokens: z.int().min(0),
  ttft_values: z.int().min(0),
  ttft_bad: z.int().min(0),
  tpot_values: z.int().min(0),
  tpot_bad: z.int().min(0),
  /** Pooled inter-token times (tokens after the first). */
  tbt_values: z.int().min(0),
  tbt_bad: z.int().min(0),
  miss_rate_values: z.int().min(0),
  miss_rate_bad: z.int().min(0),
});
export type ProbeCounts = z.infer<typeof probeCountsSchema>;
/** One request's contribution to the counts (the same shape: add it). */
export type RequestVerdict = ProbeCounts;

/** One measured request as a shard sees it; `ok: false` (failed) always counts bad. */
export interface ClassifiedRequest {
  ok: boolean;
  promptTokens: number;
  /** Time to first token in µs, null when none arrived. */
  ttftUs: number | null;
  /** Inter-token times in integer µs, itt[0] = TTFT (docs/metrics.md#token-times). */
  ittUs: ArrayLike<number>;
}

/** One counted part of the SLO and its exact decision thresholds (see probe-verdict.ts). */
export interface AbortPart {
  name: PartName;
  /** Type-7 quantile over the part's values; for `attainment`, the target fraction. */
  quantile: number;
  /** Upper bound on the part's values in this probe, null when unknown (no early fail). */
  planned_values: number | null;
  /** Fail is decided once bad ≥ this (from planned_values); null when planned_values is null. */
  fail_at_bad: number | null;
}

/** Everything the coordinator needs to end a probe early (pure data, stored with the probe). */
export interface ProbeAbortRule {
  slo_type: SearchSlo['type'];
  /** Planned measured requests N. */
  planned_requests: number;
  parts: AbortPart[];
  /** error_bound is decided once errors ≥ this (= ceil(error_rate_bound · N), at least 1). */
  fail_at_errors: number;
  /** Offered load (QPS or streams). */
  offered_load: number;
  /** achieved_rate fails once achieved < (1 − tolerance) · offered, judged after min_elapsed_s. */
  achieved_rate_tolerance: number;
  min_elapsed_s: number;
}

/** Timing the coordinator has when it decides (not additive, so not in the counts). */
export interface ProbeTiming {
  /** Seconds since measuring started. */
  elapsed_s: number;
  /** Achieved load so far: measured requests / s (qps) or mean streams in flight (concurrency). */
  achieved_load: number;
}

export type AbortReason = 'verdict_decided' | 'error_bound' | 'achieved_rate';
export type ProbeDecision = { verdict: 'pass' | 'fail'; reason: AbortReason } | null;

/** What the search asks the caller to run. */
export interface ProbeSpec {
  index: number;
  /** Offered load: QPS, or an integer number of concurrent streams. */
  load: number;
  /** The probe this one replicates (reuse that probe's workload seed), else null. */
  replicate_of: number | null;
  /** Index of the probe whose workload seed to use (= replicate_of ?? index). */
  seed_probe: number;
  /** Planned measured requests N. */
  requests: number;
  min_duration_s: number;
  warmup_requests: number;
  /** Seconds to idle before this probe (0 for the first). */
  cooldown_s: number;
  abort: ProbeAbortRule;
}

const count = z.int().min(0);
/** What the caller measured for the probe `next()` asked for. */
export const probeOutcomeSchema = z.strictObject({
  offered_load: load,
  /** Achieved load over the probe, null when unknown. */
  achieved_load: z
    .number()
    .finite()
    .min(0)
    .max(10 * SEARCH_LIMITS.max_load)
    .nullable(),
  /** Final summed counts of the measured requests. */
  counts: probeCountsSchema,
  /** Warm-up requests actually sent (count toward the request budget). */
  warmup_requests: count.default(0),
  /** This probe's wall time in seconds (warm-up and measuring, cooldown excluded). */
  elapsed_s: z.number().finite().min(0).max(SEARCH_LIMITS.max_duration_s),
  /** The binding SLO statistic of the measured requests (s or ratio), null when not computed. */
  statistic: z.number().nullable().default(null),
  /**
   * The caller's exact verdict of the SLO statistic with all requests in (probeSloPassed), needed
   * only when the counts leave the type-7 interpolation to decide; null otherwise.
   */
  slo_passed: z.boolean().nullable().default(null),
  /** Why the probe ended early, null when it ran to completion. */
  aborted: z.enum(['verdict_decided', 'error_bound', 'achieved_rate', 'cancelled']).nullable(),
  /** The same counts split by region (sums over regions equal `counts`); at most 32 regions. */
  regions: z
    .record(
      z.string().min(1).max(64),
      z.strictObject({
        counts: probeCountsSchema,
        achieved_load: z
          .number()
          .finite()
          .min(0)
          .max(10 * SEARCH_LIMITS.max_load)
          .nullable(),
      }),
    )
    .refine((r) => Object.keys(r).length <= 32, 'at most 32 regions')
    .default({}),
});
export type ProbeOutcome = z.infer<typeof probeOutcomeSchema>;
export type ProbeOutcomeInput = z.input<typeof probeOutcomeSchema>;

/** A Wilson score interval (95%) for a fraction. */
export interface FractionInterval {
  lo: number;
  hi: number;
}

export type ProbeReason = AbortReason | 'cancelled' | 'complete';

/** One region's share of a probe, judged on its own counts (no gates but its error rate). */
export interface RegionProbeReport {
  requests: number;
  bad: number;
  errors: number;
  achieved_load: number | null;
  binding_part: PartName;
  bad_fraction: number;
  interval: FractionInterval;
  /** null when the region's counts leave the interpolation to decide. */
  verdict: 'pass' | 'fail' | null;
  resolved: boolean;
}

/** One probe as reported: what was asked, what was measured, and how it was judged. */
export interface ProbeReport {
  index: number;
  offered_load: number;
  achieved_load: number | null;
  replicate_of: number | null;
  planned_requests: number;
  /** Measured requests used (< planned when aborted). */
  requests: number;
  bad: number;
  errors: number;
  output_tokens: number;
  counts: ProbeCounts;
  /** The binding part (largest bad fraction relative to its allowed fraction). */
  binding_part: PartName;
  /** bad / values of the binding part. */
  bad_fraction: number;
  /** The bad fraction the SLO allows for that part (1 − quantile). */
  threshold_fraction: number;
  /** 95% Wilson interval of the binding part's bad fraction. */
  interval: FractionInterval;
  statistic: number | null;
  verdict: 'pass' | 'fail';
  /** Interval wholly on the verdict's side of the threshold, or decided by a gate. */
  resolved: boolean;
  /** How the verdict was reached. */
  reason: ProbeReason;
  elapsed_s: number;
  /** Per region, when the outcome was split by region. */
  regions: Record<string, RegionProbeReport>;
}

export type SearchStopReason =
  | 'converged'
  | 'repeated_probe'
  | 'no_passing_load'
  | 'lower_bound_only'
  | 'budget_probes'
  | 'budget_requests'
  | 'budget_output_tokens'
  | 'budget_duration'
  | 'cancelled';

export interface SearchResult {
  stop_reason: SearchStopReason;
  /** Highest resolved passing load (lo) and lowest resolved failing load (hi); null = unknown. */
  bracket: { lo: number | null; hi: number | null };
  /** Nothing failed up to the highest load probed: `lo` is a lower bound only. */
  lower_bound_only: boolean;
  /** Estimated capacity with an interval, null when there is no bracket. */
  root: { load: number; lo: number; hi: number } | null;
  probes: ProbeReport[];
  /** Measured + warm-up requests sent. */
  requests_used: number;
  output_tokens_used: number;
  /** Wall time of probes plus cooldowns, s. */
  elapsed_s: number;
  /** Per region: the bracket from that region's own probe verdicts. */
  regions: Record<string, { bracket: { lo: number | null; hi: number | null } }>;
}

export type SearchStep = { kind: 'probe'; probe: ProbeSpec } | { kind: 'done'; result: SearchResult };

export interface CapacitySearchOptions {
  /** Last capacity of the same target + model + workload + SLO (used when warm_start is 'auto'). */
  warmStartLoad?: number;
  /** Prefill predictor of the deadline SLO's profile, µs per prompt length. */
  predictPrefillUs?: (promptTokens: number) => number;
  /** Largest output tokens per request, to bound pooled TBT values (enables early TBT aborts). */
  maxOutputTokensPerRequest?: number;
}

export interface CapacitySearch {
  readonly settings: SearchSettings;
  /** The next probe, or the result. Repeats the pending probe until it is recorded. */
  next(): SearchStep;
  /** Records the outcome of the pending probe; throws when none is pending or it does not match. */
  record(outcome: ProbeOutcomeInput): ProbeReport;
  /** Ends the search with what was learned (a pending probe is dropped). */
  cancel(): SearchResult;
  /** Every outcome recorded, in order (what replaySearch needs). */
  readonly history: readonly ProbeOutcome[];
}

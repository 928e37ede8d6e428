import { z } from 'zod';
import { attainmentSloSchema, deadlineSloSchema, tbtTtftSloSchema, ttftTpotSloSchema } from './slo.ts';

// The contract between the pure capacity search (this folder) and whoever runs its probes (the
// campaign orchestration, the benchmark, tests). Keys are snake_case like the API. Everything a
// caller stores or replays is described here; docs/capacity-search.md explains the algorithm.
// This interface only grows: fields are added, never renamed or removed.

/** Bounds shared by the settings and by the probe outcome checks. */
export const SEARCH_LIMITS = {
  /** Largest load in either dimension (QPS or concurrent streams). */
  max_load: 100_000,
  /** Smallest load (QPS; concurrency is at least 1). */
  min_load: 0.0001,
  max_probe_requests: 100_000,
  max_probes: 200,
  max_requests: 10_000_000,
  max_output_tokens: 10_000_000_000,
  max_duration_s: 7 * 86_400,
} as const;

const profileId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only');

/** The SLO a probe is judged by: etalon's three types (etalon defaults) and attainment. */
export const searchSloSchema = z.discriminatedUnion('type', [
  /** `deadline` needs a stored prefill profile: the caller resolves `profile_id` into a predictor. */
  deadlineSloSchema.extend({ profile_id: profileId }),
  tbtTtftSloSchema,
  ttftTpotSloSchema,
  attainmentSloSchema,
]);
export type SearchSlo = z.infer<typeof searchSloSchema>;

/** Open-loop arrival process of a `qps` probe (ignored for `concurrency`). */
export const searchArrivalsSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('poisson') }),
  /** Gamma inter-arrival times with this coefficient of variation (1 = poisson). */
  z.strictObject({ type: z.literal('gamma'), cv: z.number().min(0.01).max(100) }),
  z.strictObject({ type: z.literal('constant') }),
]);

const load = z.number().finite().min(SEARCH_LIMITS.min_load).max(SEARCH_LIMITS.max_load);

export const searchSettingsSchema = z
  .strictObject({
    /** `model` (default): bracket + logistic fit; `etalon`: etalon's exact bisection sequence. */
    mode: z.enum(['model', 'etalon']).default('model'),
    /** `qps`: open loop at a request rate; `concurrency`: closed loop with this many streams (integer). */
    dimension: z.enum(['qps', 'concurrency']),
    arrivals: searchArrivalsSchema.default({ type: 'poisson' }),
    slo: searchSloSchema,
    /** Stop when hi/lo ≤ 1 + tolerance with both ends resolved (relative width, 0.001 … 1). */
    tolerance: z.number().min(0.001).max(1).default(0.05),
    probe: z
      .strictObject({
        /** Planned measured requests N per probe (after warm-up). */
        requests: z.int().min(10).max(SEARCH_LIMITS.max_probe_requests).default(1000),
        /** Seconds before the achieved rate may be judged (0 … 3600). */
        min_duration_s: z.number().min(0).max(3600).default(0),
        /** Requests sent before measuring starts, not judged (0 … 10,000). */
        warmup_requests: z.int().min(0).max(10_000).default(0),
      })
      .prefault({}),
    /** Checked before each probe; the search ends with what it learned when one is spent. */
    budgets: z
      .strictObject({
        max_probes: z.int().min(1).max(SEARCH_LIMITS.max_probes).default(20),
        /** Measured + warm-up requests over the whole search. */
        max_requests: z.int().min(1).max(SEARCH_LIMITS.max_requests).default(30_000),
        max_output_tokens: z.int().min(1).max(SEARCH_LIMITS.max_output_tokens).default(30_000_000),
        /** Wall time of the whole search, probes and cooldowns, in seconds. */
        max_duration_s: z
          .number()
          .min(1)
          .max(SEARCH_LIMITS.max_duration_s)
          .default(4 * 3600),
      })
      .prefault({}),
    /**
     * Load range. `model` never probes outside [min, max]; `etalon` starts its bracket at
     * [0, 2·start] (start default 1) like etalon and ignores min/max.
     */
    load: z
      .strictObject({
        min: load.default(1),
        max: load.default(1024),
        /** Cold-start load (default: the geometric middle of [min, max]). */
        start: load.optional(),
      })
      .prefault({}),
    /** Idle seconds between probes (0 … 600), so queues drain. */
    cooldown_s: z.number().min(0).max(600).default(5),
    /**
     * `auto`: the caller passes the last capacity of the same target + model + workload + SLO
     * (≤ 14 days old) as `warmStartLoad`, if any; `off`: always cold; `{ load }`: start from it.
     */
    warm_start: z.union([z.enum(['auto', 'off']), z.strictObject({ load })]).default('auto'),
    /** A probe fails when the achieved load is below (1 − this) × offered (0 … 0.5). */
    achieved_rate_tolerance: z.number().min(0).max(0.5).default(0.05),
    /** A probe fails when failed / planned requests reaches this bound (0 … 1]. */
    error_rate_bound: z.number().gt(0).max(1).default(0.01),
    /** etalon mode only: converged when the bracket is below this % of the last probe. */
    etalon_granularity_pct: z.number().min(0).max(100).default(2.5),
  })
  .superRefine((s, ctx) => {
    if (!(s.load.min < s.load.max)) {
      ctx.addIssue({ code: 'custom', path: ['load', 'max'], message: 'load.max must be above load.min' });
    }
    if (s.load.start !== undefined && (s.load.start < s.load.min || s.load.start > s.load.max)) {
      ctx.addIssue({
        code: 'custom',
        path: ['load', 'start'],
        message: 'load.start must be within [min, max]',
      });
    }
    if (s.mode === 'etalon' && s.dimension !== 'qps') {
      ctx.addIssue({ code: 'custom', path: ['dimension'], message: "etalon mode searches 'qps' only" });
    }
    if (s.dimension === 'concurrency') {
      for (const key of ['min', 'max', 'start'] as const) {
        const v = s.load[key];
        if (v !== undefined && !Number.isInteger(v)) {
          ctx.addIssue({ code: 'custom', path: ['load', key], message: 'concurrency loads are integers' });
        }
      }
    }
  });
export type SearchSettings = z.infer<typeof searchSettingsSchema>;
export type SearchSettingsInput = z.input<typeof searchSettingsSchema>;

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
});
export type ProbeOutcome = z.infer<typeof probeOutcomeSchema>;
export type ProbeOutcomeInput = z.input<typeof probeOutcomeSchema>;

/** A Wilson score interval (95%) for a fraction. */
export interface FractionInterval {
  lo: number;
  hi: number;
}

export type ProbeReason = AbortReason | 'cancelled' | 'complete';

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

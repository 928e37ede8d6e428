import { z } from 'zod';
import { attainmentSloSchema, deadlineSloSchema, tbtTtftSloSchema, ttftTpotSloSchema } from './slo.ts';

// The settings of a capacity search (part of the interface in search-protocol.ts, which re-exports
// them). Every field is bounded and defaulted; docs/capacity-search.md#settings lists them.

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

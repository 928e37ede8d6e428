import { z } from 'zod';
import { DEFAULT_DEADLINES, type DeadlineOptions } from '../metrics/deadline-options.ts';
import { type PredictorParams, predictorParamsSchema } from '../profile/prefill-profile.ts';
import { instrumentCheckConfigSchema } from '../shard/instrument-check.ts';
import { targetSchema } from '../stream/target-config.ts';
import { workloadSchema } from '../workload/workload-config.ts';
import {
  CONCURRENCY,
  DEADLINE_S,
  DURATION_S,
  MAX_NAME_CHARS,
  MAX_PREDICTOR_KNOTS,
  MAX_PROFILE_ID_CHARS,
  REGION_SHARE,
  REQUEST_TIMEOUT_S,
  REQUESTS,
  RUN_TIMEOUT_S,
  SHARDS_PER_REGION,
  STREAMS_PER_SHARD,
} from './config-bounds.ts';

/** Durable Object location hints (best-effort placement at first creation; ignored locally). */
export const LOCATION_HINTS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

/**
 * Streams one shard carries by default. A Durable Object was measured keeping p99
 * chunk-timestamp error ≲ 5 ms up to ~1–2k chunks/s (≈ 20–40 streams at 50 tokens/s) and saturating
 * a core near 15k chunks/s (docs/streaming.md); 32 sits inside the accurate range at typical
 * decode speeds.
 */
export const DEFAULT_STREAMS_PER_SHARD = 32;

export const regionSchema = z.strictObject({
  location: z
    .enum(LOCATION_HINTS)
    .describe('Durable Object location hint the region’s shards are created with'),
  share: z
    .number()
    .min(REGION_SHARE.min)
    .max(REGION_SHARE.max)
    .default(1)
    .describe('relative share of the load (normalised over regions)'),
  shards: z
    .number()
    .int()
    .min(SHARDS_PER_REGION.min)
    .max(SHARDS_PER_REGION.max)
    .optional()
    .describe('shard objects in this region; derived from the expected concurrency when absent'),
});

// Bounds: ./config-bounds.ts (why each, in docs/config-bounds.md).
const deadline = z.number().min(DEADLINE_S.min).max(DEADLINE_S.max);

export const runDeadlinesSchema = z
  .strictObject({
    ttft_s: deadline.default(DEFAULT_DEADLINES.ttft_deadline_s).describe('TTFT deadline (fluidity-index Dp)'),
    tbt_s: deadline.default(DEFAULT_DEADLINES.tbt_deadline_s).describe('TBT deadline (fluidity-index D)'),
    target_miss_rate: z
      .number()
      .min(0)
      .max(1)
      .default(DEFAULT_DEADLINES.target_miss_rate)
      .describe('target for the minimum TBT deadline'),
    profile_id: z
      .string()
      .min(1)
      .max(MAX_PROFILE_ID_CHARS)
      .regex(/^[A-Za-z0-9_-]+$/, { error: 'a profile id: letters, digits, - and _' })
      .optional()
      .describe(
        'a stored prefill profile (POST /v1/profiles, done): each request’s TTFT deadline is then its predicted prefill + ttft_slack_s, and ttft_s is not used',
      ),
    ttft_slack_s: z
      .number()
      .min(0)
      .max(DEADLINE_S.max)
      .optional()
      .describe(
        `slack added to the predicted prefill (${DEFAULT_DEADLINES.ttft_slack_s}); only with profile_id`,
      ),
    prefill_predictor: predictorParamsSchema
      .optional()
      .describe('set by the API from profile_id when the run is created (the profile’s fitted predictor)'),
  })
  .superRefine((deadlines, ctx) => {
    if (deadlines.profile_id !== undefined) {
      const knots =
        deadlines.prefill_predictor?.kind === 'piecewise_linear' ? deadlines.prefill_predictor.knots : [];
      if (knots.length > MAX_PREDICTOR_KNOTS)
        ctx.addIssue({
          code: 'custom',
          path: ['prefill_predictor', 'knots'],
          message: `at most ${MAX_PREDICTOR_KNOTS} knots (one per profiled length)`,
        });
      return;
    }
    for (const key of ['ttft_slack_s', 'prefill_predictor'] as const)
      if (deadlines[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} needs deadlines.profile_id (the stored prefill profile it applies to)`,
        });
  });

export const timeoutsSchema = z.strictObject({
  // At most 10 min: a shard's alarm slice has to drain its streams within the 15-minute alarm limit.
  request_s: z
    .number()
    .min(REQUEST_TIMEOUT_S.min)
    .max(REQUEST_TIMEOUT_S.max)
    .default(120)
    .describe('per request, send → end of stream'),
  run_s: z
    .number()
    .min(RUN_TIMEOUT_S.min)
    .max(RUN_TIMEOUT_S.max)
    .optional()
    .describe('whole run, after which it is cancelled (default: limits.max_duration_s + request_s + 300 s)'),
});

/** Caps that stop a typo (qps 10000, 1e9 requests) from launching a runaway run against a paid API. */
export const limitsSchema = z.strictObject({
  max_concurrency: z.number().int().min(CONCURRENCY.min).max(CONCURRENCY.max).default(1_024),
  max_requests: z.number().int().min(REQUESTS.min).max(REQUESTS.max).default(100_000),
  max_duration_s: z.number().min(DURATION_S.min).max(DURATION_S.max).default(3_600),
});

export const runConfigSchema = z
  .object({
    name: z.string().min(1).max(MAX_NAME_CHARS).optional(),
    target: targetSchema,
    workload: workloadSchema,
    regions: z
      .array(regionSchema)
      .min(1)
      .max(LOCATION_HINTS.length * 4)
      .default([{ location: 'wnam', share: 1 }]),
    streams_per_shard: z
      .number()
      .int()
      .min(STREAMS_PER_SHARD.min)
      .max(STREAMS_PER_SHARD.max)
      .default(DEFAULT_STREAMS_PER_SHARD),
    deadlines: runDeadlinesSchema.prefault({}),
    timeouts: timeoutsSchema.default({ request_s: 120 }),
    limits: limitsSchema.default({ max_concurrency: 1_024, max_requests: 100_000, max_duration_s: 3_600 }),
    instrument_check: instrumentCheckConfigSchema.prefault({}),
  })
  .strict();
export type RunConfig = z.infer<typeof runConfigSchema>;
/** What a caller writes (defaults not yet applied). */
export type RunConfigInput = z.input<typeof runConfigSchema>;

/** The run's deadlines in the metrics core's terms. */
export function deadlineOptionsOf(config: RunConfig): DeadlineOptions {
  return {
    ttft_deadline_s: config.deadlines.ttft_s,
    tbt_deadline_s: config.deadlines.tbt_s,
    target_miss_rate: config.deadlines.target_miss_rate,
    ttft_slack_s: config.deadlines.ttft_slack_s ?? DEFAULT_DEADLINES.ttft_slack_s,
  };
}

/**
 * The prefill predictor the run's TTFT deadlines come from (embedded from `deadlines.profile_id` when
 * the run was created), or undefined for a fixed TTFT deadline. Every place that judges a run's
 * requests (shards, the coordinator, the CLI's export) passes it to the Analyzer with
 * `deadlineOptionsOf`.
 */
export function prefillPredictorOf(config: RunConfig): PredictorParams | undefined {
  return config.deadlines.prefill_predictor;
}

/** When the coordinator cancels a run that is still going: a margin past everything it may do. */
export function runTimeoutS(config: RunConfig): number {
  return config.timeouts.run_s ?? config.limits.max_duration_s + config.timeouts.request_s + 300;
}

import { z } from 'zod';
import type { AnalysisReport, DeadlinesReport } from '../metrics/analysis.ts';
import type { QuantileStats } from '../metrics/quantile-summary.ts';
import type { SummaryReport } from '../metrics/run-summary.ts';
import { predictorParamsSchema } from '../profile/prefill-profile.ts';
import { OUTCOMES } from '../record/request-record.ts';

// The metric report as JSON (`analyze --json`, and the `summary` of a run's results), as schemas:
// the API documents them in /openapi.json and the CLI checks what it receives against them. The
// metrics core builds the report as plain TypeScript; the checks at the end of this file keep the
// two in step (tsc fails if either side changes alone).

const int = () => z.number().int();
const nullableNumber = () => z.number().nullable();

const quantileStatsSchema = z.object({
  count: int(),
  mean: nullableNumber(),
  min: nullableNumber(),
  /** Null in results stored before the 1st percentile was reported. */
  p1: nullableNumber().default(null),
  p50: nullableNumber(),
  p90: nullableNumber(),
  p95: nullableNumber(),
  p99: nullableNumber(),
  p99_9: nullableNumber(),
  max: nullableNumber(),
  /** true: type-7 percentiles of the exact values; false: from the relative-error sketch. */
  exact: z.boolean(),
});

export const serviceLevelSchema = z.object({
  missed_deadlines: int(),
  total_deadlines: int(),
  miss_rate: z.number(),
});

export const throughputSchema = z.object({
  tpot_based_throughput: nullableNumber(),
  tbt_based_throughput: nullableNumber(),
  fluid_token_generation_rate: nullableNumber(),
});

/** The metrics of a set of requests (a run, or one region of it); defined in docs/metrics.md. */
const summaryReportSchema = z.object({
  requests: int(),
  ok: int(),
  failed: int(),
  error_rate: nullableNumber(),
  outcomes: z.record(z.enum(OUTCOMES), int()),
  service_level: serviceLevelSchema,
  stream: z.object({ tokens_per_read: nullableNumber(), token_count_mismatches: int() }),
  throughput: throughputSchema,
  ttft_s: quantileStatsSchema,
  tbt_s: quantileStatsSchema,
  tpot_s: quantileStatsSchema,
  e2e_s: quantileStatsSchema,
  normalized_e2e_s: quantileStatsSchema,
  inter_chunk_s: quantileStatsSchema,
  headers_s: quantileStatsSchema,
  decode_only_min_tbt_deadline_s: quantileStatsSchema,
  output_throughput: quantileStatsSchema,
  fluidity_index: quantileStatsSchema,
  miss_rate: quantileStatsSchema,
  prompt_tokens: quantileStatsSchema,
  output_tokens: quantileStatsSchema,
  schedule_lag_ms: quantileStatsSchema,
  reasoning: z
    .object({
      ttfrt_s: quantileStatsSchema,
      ttfvt_s: quantileStatsSchema,
      reasoning_tokens: quantileStatsSchema,
      cached_prompt_tokens: quantileStatsSchema,
    })
    .optional()
    .describe(
      'The reasoning split of ok requests (docs/metrics.md#reasoning): time to first reasoning token, ' +
        'time to first visible token, reasoning tokens (also counted in output_tokens), cached prompt tokens',
    ),
  miss_rate_curve: z
    .object({ tbt_deadline_ms: z.array(z.number()), p99_miss_rate: z.array(nullableNumber()) })
    .nullable(),
});

const deadlinesReportSchema = z.object({
  ttft_deadline_s: nullableNumber(),
  ttft_deadline_source: z.enum(['fixed', 'prefill_predictor']),
  ttft_slack_s: nullableNumber(),
  tbt_deadline_s: z.number(),
  target_miss_rate: z.number(),
  /** Present when the TTFT deadlines came from a stored prefill profile (`deadlines.profile_id`). */
  prefill_predictor: predictorParamsSchema.optional(),
});

/** The whole run's metrics, the deadlines they were measured against, and each region's. */
export const analysisSummarySchema = summaryReportSchema.extend({
  deadlines: deadlinesReportSchema,
  regions: z.record(z.string(), summaryReportSchema),
});

/** True when A and B are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compile-time only: the schemas above describe exactly what the metrics core builds. */
type ReportSchemasMatch = [
  Same<z.infer<typeof quantileStatsSchema>, QuantileStats>,
  Same<z.infer<typeof summaryReportSchema>, SummaryReport>,
  Same<z.infer<typeof deadlinesReportSchema>, DeadlinesReport>,
  Same<z.infer<typeof analysisSummarySchema>, AnalysisReport['summary']>,
] extends [true, true, true, true]
  ? true
  : never;
const reportSchemasMatch: ReportSchemasMatch = true;
void reportSchemasMatch;

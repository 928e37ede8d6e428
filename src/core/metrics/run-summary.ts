import { z } from 'zod';
import { OUTCOMES, type Outcome } from '../record/request-record.ts';
import { missRate } from './fluidity.ts';
import { CURVE_TBT_DEADLINES_MS, decodeOnlyMissRates } from './miss-rate-curve.ts';
import {
  DEFAULT_EXACT_LIMIT,
  type QuantileStats,
  QuantileSummary,
  quantileSummaryStateSchema,
} from './quantile-summary.ts';
import type { RequestMetrics } from './request-metrics.ts';
import { fluidTokenGenerationRate, tbtBasedThroughput, tpotBasedThroughput } from './throughput.ts';
import { forEachInterChunkGapUs } from './token-times.ts';
import { usToS } from './units.ts';

/**
 * Distributions kept in µs and reported in seconds (the report names end in `_s`). TBT is not
 * kept: it is derived (see `tbtSummary`).
 */
const DURATION_METRICS = [
  'ttft',
  'tpot',
  'e2e',
  'normalized_e2e',
  'inter_chunk',
  'headers',
  'decode_only_min_tbt_deadline',
  'ttfrt',
  'ttfvt',
] as const;
/** Distributions reported in their own unit, named in the key. */
const VALUE_METRICS = [
  'output_throughput',
  'fluidity_index',
  'miss_rate',
  'prompt_tokens',
  'output_tokens',
  'schedule_lag_ms',
  'reasoning_tokens',
  'cached_prompt_tokens',
] as const;
type DurationMetric = (typeof DURATION_METRICS)[number];
type ValueMetric = (typeof VALUE_METRICS)[number];
type MetricName = DurationMetric | ValueMetric;
const METRICS: readonly MetricName[] = [...DURATION_METRICS, ...VALUE_METRICS];

/**
 * Inter-chunk gaps arrive once per read (the per-token bulk of the work): count gaps below 0.5 s
 * in a dense array (≤ 4 MB); the other distributions see one value per request.
 */
const INTER_CHUNK_DENSE_LIMIT_US = 1 << 19;
const denseLimitOf = (metric: MetricName) => (metric === 'inter_chunk' ? INTER_CHUNK_DENSE_LIMIT_US : 0);

export const runSummaryStateSchema = z.object({
  requests: z.number().int().nonnegative(),
  outcomes: z.record(z.enum(OUTCOMES), z.number().int().nonnegative()),
  missed_deadlines: z.number().int().nonnegative(),
  total_deadlines: z.number().int().nonnegative(),
  streamed_tokens: z.number().int().nonnegative(),
  token_reads: z.number().int().nonnegative(),
  token_count_mismatches: z.number().int().nonnegative(),
  metrics: z.record(z.string(), quantileSummaryStateSchema),
  miss_rate_curve: z.array(quantileSummaryStateSchema).nullable(),
});
export type RunSummaryState = z.infer<typeof runSummaryStateSchema>;

export interface RunSummaryOptions {
  /** Distinct values per distribution kept exactly before sketching. */
  exactLimit?: number;
  /** Also build the P99 miss-rate curve over 1–100 ms (100 decode simulations per request). */
  missRateCurve?: boolean;
}

/**
 * Mergeable summary of a set of requests (docs/metrics.md). Every request counts in the totals and the
 * outcome breakdown; latency, deadline and throughput figures describe successful (`ok`) requests.
 * Shards build one per region; merging gives the run's summary without the raw values.
 */
export class RunSummary {
  requests = 0;
  outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  missedDeadlines = 0;
  totalDeadlines = 0;
  /** Stream shape of successful requests: tokens seen in reads, reads that carried tokens. */
  streamedTokens = 0;
  tokenReads = 0;
  /** Successful requests whose chunk token counts do not add up to their output_tokens. */
  tokenCountMismatches = 0;
  readonly metrics: Record<MetricName, QuantileSummary>;
  readonly curve: QuantileSummary[] | null;

  constructor(options: RunSummaryOptions = {}) {
    const limit = options.exactLimit ?? DEFAULT_EXACT_LIMIT;
    this.metrics = Object.fromEntries(
      METRICS.map((m) => [m, new QuantileSummary(limit, denseLimitOf(m))]),
    ) as Record<MetricName, QuantileSummary>;
    this.curve = options.missRateCurve ? CURVE_TBT_DEADLINES_MS.map(() => new QuantileSummary(limit)) : null;
  }

  add(m: RequestMetrics): void {
    this.requests += 1;
    this.outcomes[m.outcome] += 1;
    const s = this.metrics;
    if (m.scheduleLagMs !== null) s.schedule_lag_ms.add(m.scheduleLagMs);
    if (m.headersUs !== null) s.headers.add(m.headersUs);
    if (m.outcome !== 'ok') return;
    s.prompt_tokens.add(m.promptTokens);
    s.output_tokens.add(m.outputTokens);
    if (m.reasoningTokens !== null) s.reasoning_tokens.add(m.reasoningTokens);
    if (m.cachedPromptTokens !== null) s.cached_prompt_tokens.add(m.cachedPromptTokens);
    if (m.ttfrtUs !== null) s.ttfrt.add(m.ttfrtUs);
    if (m.ttfvtUs !== null) s.ttfvt.add(m.ttfvtUs);
    const n = m.ittUs.length;
    if (n !== m.outputTokens) this.tokenCountMismatches += 1;
    if (n === 0) return;
    s.ttft.add(m.ttftUs!);
    s.e2e.add(m.e2eUs!);
    if (m.normalizedE2eUs !== null) s.normalized_e2e.add(m.normalizedE2eUs);
    if (m.outputThroughputTps !== null) s.output_throughput.add(m.outputThroughputTps);
    let reads = 1;
    forEachInterChunkGapUs(m.chunks, (gap) => {
      s.inter_chunk.add(gap);
      reads += 1;
    });
    this.streamedTokens += n;
    this.tokenReads += reads;
    if (m.tpotUs !== null) s.tpot.add(m.tpotUs);
    if (n >= 2 && m.decodeOnlyMinTbtDeadlineUs !== null)
      s.decode_only_min_tbt_deadline.add(m.decodeOnlyMinTbtDeadlineUs);
    this.missedDeadlines += m.deadlines.missed;
    this.totalDeadlines += m.deadlines.total;
    const rate = missRate(m.deadlines);
    s.miss_rate.add(rate);
    s.fluidity_index.add(1 - rate);
    if (this.curve) {
      const rates = decodeOnlyMissRates(m.ittUs);
      rates.forEach((rate, k) => {
        this.curve![k]!.add(rate);
      });
    }
  }

  merge(other: RunSummary): void {
    this.requests += other.requests;
    for (const o of OUTCOMES) this.outcomes[o] += other.outcomes[o];
    this.missedDeadlines += other.missedDeadlines;
    this.totalDeadlines += other.totalDeadlines;
    this.streamedTokens += other.streamedTokens;
    this.tokenReads += other.tokenReads;
    this.tokenCountMismatches += other.tokenCountMismatches;
    for (const m of METRICS) this.metrics[m].merge(other.metrics[m]);
    if (this.curve && other.curve) {
      this.curve.forEach((q, k) => {
        q.merge(other.curve![k]!);
      });
    }
  }

  /**
   * The TBT distribution, derived rather than stored: itt[1:] holds each later read's gap (the
   * inter-chunk gaps) and a 0 for every further token of a read, i.e. the inter-chunk gaps plus
   * (tokens − token-carrying reads) zeros. Exact, and half the per-token work of keeping both.
   * The zeros are at most one more distinct value: TBT is exact exactly when the gaps are.
   */
  tbtSummary(): QuantileSummary {
    const gaps = this.metrics.inter_chunk;
    const tbt = gaps.clone(gaps.exactLimit + 1);
    const extraZeros = this.streamedTokens - this.tokenReads;
    if (extraZeros > 0) tbt.add(0, extraZeros);
    return tbt;
  }

  toJSON(): RunSummaryState {
    return {
      requests: this.requests,
      outcomes: { ...this.outcomes },
      missed_deadlines: this.missedDeadlines,
      total_deadlines: this.totalDeadlines,
      streamed_tokens: this.streamedTokens,
      token_reads: this.tokenReads,
      token_count_mismatches: this.tokenCountMismatches,
      metrics: Object.fromEntries(METRICS.map((m) => [m, this.metrics[m].toJSON()])),
      miss_rate_curve: this.curve ? this.curve.map((q) => q.toJSON()) : null,
    };
  }

  static fromJSON(state: RunSummaryState): RunSummary {
    const summary = new RunSummary({ missRateCurve: state.miss_rate_curve !== null });
    summary.requests = state.requests;
    for (const o of OUTCOMES) summary.outcomes[o] = state.outcomes[o] ?? 0;
    summary.missedDeadlines = state.missed_deadlines;
    summary.totalDeadlines = state.total_deadlines;
    summary.streamedTokens = state.streamed_tokens;
    summary.tokenReads = state.token_reads;
    summary.tokenCountMismatches = state.token_count_mismatches;
    for (const m of METRICS) {
      const metric = state.metrics[m];
      if (metric) summary.metrics[m] = QuantileSummary.fromJSON(metric, denseLimitOf(m));
    }
    state.miss_rate_curve?.forEach((q, k) => {
      summary.curve![k] = QuantileSummary.fromJSON(q);
    });
    return summary;
  }

  report(): SummaryReport {
    const s = this.metrics;
    const ok = this.outcomes.ok;
    const seconds = (m: DurationMetric) => statsInSeconds(s[m].stats());
    const tbt = this.tbtSummary();
    return {
      requests: this.requests,
      ok,
      failed: this.requests - ok,
      error_rate: this.requests === 0 ? null : (this.requests - ok) / this.requests,
      outcomes: { ...this.outcomes },
      service_level: {
        missed_deadlines: this.missedDeadlines,
        total_deadlines: this.totalDeadlines,
        miss_rate: missRate({ missed: this.missedDeadlines, total: this.totalDeadlines }),
      },
      stream: {
        tokens_per_read: this.tokenReads === 0 ? null : this.streamedTokens / this.tokenReads,
        token_count_mismatches: this.tokenCountMismatches,
      },
      throughput: {
        tpot_based_throughput: tpotBasedThroughput(s.tpot.count === 0 ? null : s.tpot.sum / s.tpot.count),
        tbt_based_throughput: tbtBasedThroughput(tbt.quantile(0.99)),
        fluid_token_generation_rate: fluidTokenGenerationRate(s.decode_only_min_tbt_deadline.quantile(0.99)),
      },
      ttft_s: seconds('ttft'),
      tbt_s: statsInSeconds(tbt.stats()),
      tpot_s: seconds('tpot'),
      e2e_s: seconds('e2e'),
      normalized_e2e_s: seconds('normalized_e2e'),
      inter_chunk_s: seconds('inter_chunk'),
      headers_s: seconds('headers'),
      decode_only_min_tbt_deadline_s: seconds('decode_only_min_tbt_deadline'),
      output_throughput: s.output_throughput.stats(),
      fluidity_index: s.fluidity_index.stats(),
      miss_rate: s.miss_rate.stats(),
      prompt_tokens: s.prompt_tokens.stats(),
      output_tokens: s.output_tokens.stats(),
      schedule_lag_ms: s.schedule_lag_ms.stats(),
      reasoning: {
        ttfrt_s: seconds('ttfrt'),
        ttfvt_s: seconds('ttfvt'),
        reasoning_tokens: s.reasoning_tokens.stats(),
        cached_prompt_tokens: s.cached_prompt_tokens.stats(),
      },
      miss_rate_curve: this.curve
        ? {
            tbt_deadline_ms: [...CURVE_TBT_DEADLINES_MS],
            p99_miss_rate: this.curve.map((q) => q.quantile(0.99)),
          }
        : null,
    };
  }
}

export interface SummaryReport {
  requests: number;
  ok: number;
  failed: number;
  error_rate: number | null;
  outcomes: Record<Outcome, number>;
  service_level: { missed_deadlines: number; total_deadlines: number; miss_rate: number };
  /**
   * How tokens arrived. Above 1 token per read, TBT holds zeros for the extra tokens of a read and
   * `inter_chunk_s` is the honest per-read series. Mismatches: chunk tokens ≠ output_tokens.
   */
  stream: { tokens_per_read: number | null; token_count_mismatches: number };
  throughput: {
    tpot_based_throughput: number | null;
    tbt_based_throughput: number | null;
    fluid_token_generation_rate: number | null;
  };
  ttft_s: QuantileStats;
  tbt_s: QuantileStats;
  tpot_s: QuantileStats;
  e2e_s: QuantileStats;
  normalized_e2e_s: QuantileStats;
  inter_chunk_s: QuantileStats;
  headers_s: QuantileStats;
  decode_only_min_tbt_deadline_s: QuantileStats;
  output_throughput: QuantileStats;
  fluidity_index: QuantileStats;
  miss_rate: QuantileStats;
  prompt_tokens: QuantileStats;
  output_tokens: QuantileStats;
  schedule_lag_ms: QuantileStats;
  /**
   * The reasoning split of successful requests (docs/metrics.md#reasoning). Reasoning tokens are
   * also in output_tokens. `ttfrt_s`: time to the first streamed reasoning token; `ttfvt_s`: time to
   * the first visible answer token (the TTFT when there was no reasoning); each count says how many
   * requests reported the value. Absent from results stored before it existed.
   */
  reasoning?: {
    ttfrt_s: QuantileStats;
    ttfvt_s: QuantileStats;
    reasoning_tokens: QuantileStats;
    cached_prompt_tokens: QuantileStats;
  };
  miss_rate_curve: { tbt_deadline_ms: number[]; p99_miss_rate: (number | null)[] } | null;
}

function statsInSeconds(stats: QuantileStats): QuantileStats {
  const s = (us: number | null) => (us === null ? null : usToS(us));
  return {
    ...stats,
    mean: s(stats.mean),
    min: s(stats.min),
    p1: s(stats.p1),
    p50: s(stats.p50),
    p90: s(stats.p90),
    p95: s(stats.p95),
    p99: s(stats.p99),
    p99_9: s(stats.p99_9),
    max: s(stats.max),
  };
}

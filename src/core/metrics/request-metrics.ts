import type { Outcome, RequestRecord } from '../record/request-record.ts';
import type { ResolvedDeadlines } from './deadline-options.ts';
import { type DeadlineCounts, deadlineCounts, minTbtDeadlineUs, missRate } from './fluidity.ts';
import { interTokenTimesUs } from './token-times.ts';
import { msToUs, usToS } from './units.ts';

/** Per-request metrics (docs/metrics.md#per-request-metrics) in integer µs; undefined values are null. */
export interface RequestMetrics {
  id: string;
  region: string | null;
  outcome: Outcome;
  status: number | null;
  promptTokens: number;
  outputTokens: number;
  /** Inter-token times (docs/metrics.md#token-times); itt[0] is the TTFT. */
  ittUs: readonly number[];
  ttftUs: number | null;
  e2eUs: number | null;
  /** Mean of itt[1:], not an integer in general; null below 2 tokens. */
  tpotUs: number | null;
  /** e2e / output tokens, µs per token. */
  normalizedE2eUs: number | null;
  /** output tokens / e2e, tokens per second. */
  outputThroughputTps: number | null;
  /** The record's reads, for inter-chunk gaps. */
  chunks: RequestRecord['chunks'];
  headersUs: number | null;
  scheduleLagMs: number | null;
  ttftDeadlineUs: number;
  deadlines: DeadlineCounts;
  decodeOnly: DeadlineCounts;
  /** Fixed-TTFT minimum deadline; `undefined` when not asked for (it is not used by summaries). */
  minTbtDeadlineUs: number | null | undefined;
  decodeOnlyMinTbtDeadlineUs: number | null;
  /** The reasoning split (docs/metrics.md#reasoning); null when not reported / not seen. */
  reasoningTokens: number | null;
  cachedPromptTokens: number | null;
  /** Time to the first reasoning token (streamed reasoning only). */
  ttfrtUs: number | null;
  /** Time to the first visible answer token: the TTFT when no reasoning was seen or reported. */
  ttfvtUs: number | null;
}

export function computeRequestMetrics(
  record: RequestRecord,
  deadlines: ResolvedDeadlines,
  withFixedMinDeadline = true,
): RequestMetrics {
  const ittUs = interTokenTimesUs(record.chunks);
  const n = ittUs.length;
  let e2eUs = 0;
  for (let i = 0; i < n; i++) e2eUs += ittUs[i]!;
  const ttftUs = n > 0 ? ittUs[0]! : null;
  const ttftDeadlineUs = deadlines.ttftDeadlineUs(record.prompt_tokens);
  const { tbtDeadlineUs, targetMissRate } = deadlines;
  const perToken = n > 0 && record.output_tokens > 0;
  return {
    id: record.id,
    region: record.region ?? null,
    outcome: record.outcome,
    status: record.status ?? null,
    promptTokens: record.prompt_tokens,
    outputTokens: record.output_tokens,
    ittUs,
    ttftUs,
    e2eUs: n > 0 ? e2eUs : null,
    tpotUs: n >= 2 ? (e2eUs - ttftUs!) / (n - 1) : null,
    normalizedE2eUs: perToken ? e2eUs / record.output_tokens : null,
    outputThroughputTps: perToken && e2eUs > 0 ? record.output_tokens / usToS(e2eUs) : null,
    chunks: record.chunks,
    headersUs: record.headers_ms === undefined ? null : Math.round(record.headers_ms * 1000),
    scheduleLagMs: record.scheduled_at_ms === undefined ? null : record.sent_at_ms - record.scheduled_at_ms,
    ttftDeadlineUs,
    deadlines: deadlineCounts(ittUs, ttftDeadlineUs, tbtDeadlineUs),
    decodeOnly: deadlineCounts(ittUs, 0, tbtDeadlineUs, true),
    minTbtDeadlineUs: !withFixedMinDeadline
      ? undefined
      : n > 0
        ? minTbtDeadlineUs(ittUs, ttftDeadlineUs, targetMissRate)
        : null,
    decodeOnlyMinTbtDeadlineUs: n > 0 ? minTbtDeadlineUs(ittUs, 0, targetMissRate, true) : null,
    ...reasoningSplit(record, ttftUs),
  };
}

/** The reasoning fields of RequestMetrics from a record's optional reasoning split. */
export function reasoningSplit(
  record: RequestRecord,
  ttftUs: number | null,
): Pick<RequestMetrics, 'reasoningTokens' | 'cachedPromptTokens' | 'ttfrtUs' | 'ttfvtUs'> {
  const reasoned = record.first_reasoning_ms !== undefined || (record.reasoning_tokens ?? 0) > 0;
  return {
    reasoningTokens: record.reasoning_tokens ?? null,
    cachedPromptTokens: record.cached_prompt_tokens ?? null,
    ttfrtUs: record.first_reasoning_ms === undefined ? null : msToUs(record.first_reasoning_ms),
    ttfvtUs:
      record.first_visible_ms !== undefined ? msToUs(record.first_visible_ms) : reasoned ? null : ttftUs,
  };
}

/** The reported per-request row (`analyze --json`), durations in seconds. */
export interface RequestMetricsRow {
  id: string;
  region: string | null;
  outcome: Outcome;
  status: number | null;
  prompt_tokens: number;
  output_tokens: number;
  ttft_s: number | null;
  tpot_s: number | null;
  e2e_s: number | null;
  normalized_e2e_s: number | null;
  output_throughput: number | null;
  ttft_deadline_s: number;
  missed_deadlines: number;
  total_deadlines: number;
  miss_rate: number;
  fluidity_index: number;
  min_tbt_deadline_s: number | null;
  decode_only_missed_deadlines: number;
  decode_only_total_deadlines: number;
  decode_only_miss_rate: number;
  decode_only_min_tbt_deadline_s: number | null;
  headers_s: number | null;
  schedule_lag_ms: number | null;
  reasoning_tokens: number | null;
  ttfrt_s: number | null;
  ttfvt_s: number | null;
  cached_prompt_tokens: number | null;
}

export function toRequestMetricsRow(m: RequestMetrics): RequestMetricsRow {
  const rate = missRate(m.deadlines);
  return {
    id: m.id,
    region: m.region,
    outcome: m.outcome,
    status: m.status,
    prompt_tokens: m.promptTokens,
    output_tokens: m.outputTokens,
    ttft_s: nullableS(m.ttftUs),
    tpot_s: nullableS(m.tpotUs),
    e2e_s: nullableS(m.e2eUs),
    normalized_e2e_s: nullableS(m.normalizedE2eUs),
    output_throughput: m.outputThroughputTps,
    ttft_deadline_s: usToS(m.ttftDeadlineUs),
    missed_deadlines: m.deadlines.missed,
    total_deadlines: m.deadlines.total,
    miss_rate: rate,
    fluidity_index: 1 - rate,
    min_tbt_deadline_s: nullableS(m.minTbtDeadlineUs ?? null),
    decode_only_missed_deadlines: m.decodeOnly.missed,
    decode_only_total_deadlines: m.decodeOnly.total,
    decode_only_miss_rate: missRate(m.decodeOnly),
    decode_only_min_tbt_deadline_s: nullableS(m.decodeOnlyMinTbtDeadlineUs),
    headers_s: nullableS(m.headersUs),
    schedule_lag_ms: m.scheduleLagMs,
    reasoning_tokens: m.reasoningTokens,
    ttfrt_s: nullableS(m.ttfrtUs),
    ttfvt_s: nullableS(m.ttfvtUs),
    cached_prompt_tokens: m.cachedPromptTokens,
  };
}

function nullableS(us: number | null): number | null {
  return us === null ? null : usToS(us);
}

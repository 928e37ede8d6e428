import Table from 'cli-table3';
import type { AnalysisReport } from '../metrics/analysis.ts';
import type { QuantileStats } from '../metrics/quantile-summary.ts';
import type { SummaryReport } from '../metrics/run-summary.ts';

const STAT_COLUMNS = ['count', 'mean', 'min', 'p50', 'p90', 'p95', 'p99', 'p99_9', 'max'] as const;

/** Rows of the distribution table: label, stats key, and how to print one value. */
const DISTRIBUTIONS: [label: string, key: keyof SummaryReport, format: (v: number) => string][] = [
  ['TTFT (s)', 'ttft_s', seconds],
  ['TBT (s)', 'tbt_s', seconds],
  ['TPOT (s)', 'tpot_s', seconds],
  ['E2E (s)', 'e2e_s', seconds],
  ['Normalized E2E (s/token)', 'normalized_e2e_s', seconds],
  ['Inter-chunk gap (s)', 'inter_chunk_s', seconds],
  ['Output throughput (tok/s)', 'output_throughput', (v) => v.toFixed(2)],
  ['Fluidity index', 'fluidity_index', (v) => v.toFixed(4)],
  ['Min decode TBT deadline (s)', 'decode_only_min_tbt_deadline_s', seconds],
  ['Prompt tokens', 'prompt_tokens', (v) => String(Math.round(v))],
  ['Output tokens', 'output_tokens', (v) => String(Math.round(v))],
  ['Headers (s)', 'headers_s', seconds],
  ['Schedule lag (ms)', 'schedule_lag_ms', (v) => v.toFixed(1)],
];

/** The human-readable summary `analyze` prints without `--json`. */
export function formatAnalysis(file: string, report: AnalysisReport): string {
  const s = report.summary;
  const lines: string[] = [];
  lines.push(`fluidbench analyze ${file}`);
  lines.push(
    `Requests: ${s.requests} (${s.ok} ok, ${s.failed} failed${failureBreakdown(s)}), error rate ${percent(s.error_rate)}`,
  );
  const d = s.deadlines;
  const ttft =
    d.ttft_deadline_source === 'fixed'
      ? `TTFT ${d.ttft_deadline_s} s`
      : `TTFT predicted prefill + ${d.ttft_slack_s} s slack`;
  lines.push(
    `Deadlines: ${ttft}, TBT ${d.tbt_deadline_s * 1000} ms, target miss rate ${percent(d.target_miss_rate)}`,
  );
  lines.push('');
  lines.push(distributionTable(s));
  lines.push('Percentiles are exact (type 7) unless marked ~ (sketched, ≤0.1% relative error).');
  lines.push('');
  const sl = s.service_level;
  lines.push(
    `Service level: ${sl.missed_deadlines} of ${sl.total_deadlines} deadlines missed, miss rate ${percent(sl.miss_rate)} (fluidity-index ${percent(1 - sl.miss_rate)})`,
  );
  const t = s.throughput;
  lines.push(
    `Throughput (tok/s): fluid token generation rate ${sketched(s.decode_only_min_tbt_deadline_s)}${rate(t.fluid_token_generation_rate)}, TPOT-based ${rate(t.tpot_based_throughput)}, TBT-based ${sketched(s.tbt_s)}${rate(t.tbt_based_throughput)}`,
  );
  const tokensPerRead = s.stream.tokens_per_read;
  if (tokensPerRead !== null && tokensPerRead > 1.05) {
    lines.push(
      `Stream: ${tokensPerRead.toFixed(2)} tokens per read: TBT counts the extra tokens of a read as 0 s; the inter-chunk gaps are the observed per-read series.`,
    );
  }
  if (s.stream.token_count_mismatches > 0) {
    lines.push(
      `Warning: ${s.stream.token_count_mismatches} successful requests have chunk token counts that do not add up to output_tokens.`,
    );
  }
  lines.push(...reasoningLines(s));
  if (s.miss_rate_curve) {
    const points = [10, 20, 30, 40, 50, 75, 100].map(
      (ms) => `${ms} ms ${percent(s.miss_rate_curve!.p99_miss_rate[ms - 1] ?? null)}`,
    );
    lines.push(`P99 decode miss rate by TBT deadline: ${points.join(', ')}`);
  }
  const regions = Object.entries(s.regions);
  if (regions.length > 1) {
    lines.push('');
    lines.push(regionTable(regions));
  }
  return `${lines.join('\n')}\n`;
}

/** The reasoning split, when any request streamed reasoning or reported reasoning or cached tokens. */
export function reasoningLines(s: SummaryReport): string[] {
  const r = s.reasoning;
  if (!r) return [];
  const lines: string[] = [];
  const p = (q: QuantileStats) =>
    `p50 ${sketched(q)}${nullable(q.p50, seconds)} s, p99 ${sketched(q)}${nullable(q.p99, seconds)} s`;
  if (r.ttfrt_s.count > 0 || r.reasoning_tokens.count > 0) {
    const parts = [];
    if (r.ttfrt_s.count > 0)
      parts.push(`first reasoning token ${p(r.ttfrt_s)} (${r.ttfrt_s.count} requests)`);
    if (r.ttfvt_s.count > 0) parts.push(`first visible token ${p(r.ttfvt_s)}`);
    if (r.reasoning_tokens.count > 0)
      parts.push(
        `reasoning tokens mean ${nullable(r.reasoning_tokens.mean, (v) => v.toFixed(1))} of output (${r.reasoning_tokens.count} requests reported)`,
      );
    lines.push(`Reasoning: ${parts.join('; ')}`);
  }
  if (r.cached_prompt_tokens.count > 0)
    lines.push(
      `Cached prompt tokens: mean ${nullable(r.cached_prompt_tokens.mean, (v) => v.toFixed(1))}, max ${nullable(r.cached_prompt_tokens.max, String)} (${r.cached_prompt_tokens.count} requests reported)`,
    );
  return lines;
}

function distributionTable(s: SummaryReport): string {
  const table = new Table({
    head: ['metric', ...STAT_COLUMNS.map((c) => c.replace('_', '.'))],
    style: { head: [], border: [], compact: true },
  });
  for (const [label, key, format] of DISTRIBUTIONS) {
    const stats = s[key] as QuantileStats;
    if (stats.count === 0) continue;
    table.push([
      label,
      ...STAT_COLUMNS.map((c) => {
        const v = stats[c];
        if (c === 'count') return String(v);
        if (v === null || typeof v !== 'number') return '—';
        const exact = stats.exact || c === 'mean' || c === 'min' || c === 'max';
        return (exact ? '' : '~') + format(v);
      }),
    ]);
  }
  return table.toString();
}

function regionTable(regions: [string, SummaryReport][]): string {
  const table = new Table({
    head: [
      'region',
      'requests',
      'error rate',
      'TTFT p50 s',
      'TTFT p99 s',
      'TBT p99 s',
      'miss rate',
      'fluid tok/s',
    ],
    style: { head: [], border: [], compact: true },
  });
  for (const [name, r] of regions) {
    table.push([
      name,
      String(r.requests),
      percent(r.error_rate),
      sketched(r.ttft_s) + nullable(r.ttft_s.p50, seconds),
      sketched(r.ttft_s) + nullable(r.ttft_s.p99, seconds),
      sketched(r.tbt_s) + nullable(r.tbt_s.p99, seconds),
      percent(r.service_level.miss_rate),
      sketched(r.decode_only_min_tbt_deadline_s) + rate(r.throughput.fluid_token_generation_rate),
    ]);
  }
  return table.toString();
}

/** `~` before a figure taken from a sketched distribution's percentile (as in the table). */
function sketched(stats: QuantileStats): string {
  return stats.exact || stats.count === 0 ? '' : '~';
}

function failureBreakdown(s: SummaryReport): string {
  const parts = Object.entries(s.outcomes)
    .filter(([outcome, n]) => outcome !== 'ok' && n > 0)
    .map(([outcome, n]) => `${n} ${outcome}`);
  return parts.length > 0 ? `: ${parts.join(', ')}` : '';
}

function seconds(v: number): string {
  return v.toFixed(4);
}

function percent(v: number | null): string {
  return v === null ? '—' : `${(v * 100).toFixed(2)}%`;
}

function rate(v: number | null): string {
  return v === null ? '—' : v.toFixed(2);
}

function nullable(v: number | null, format: (v: number) => string): string {
  return v === null ? '—' : format(v);
}

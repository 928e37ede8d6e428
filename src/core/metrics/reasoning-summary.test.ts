import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../record/request-record.ts';
import { reasoningLines } from '../report/format-analysis.ts';
import { deadlineOptionsSchema, resolveDeadlines } from './deadline-options.ts';
import { computeRequestMetrics, toRequestMetricsRow } from './request-metrics.ts';
import { RunSummary, runSummaryStateSchema } from './run-summary.ts';

// The reasoning split from records to the summary: reasoning tokens stay in output_tokens and are
// reported apart, with the time to the first reasoning and the first visible token.

const DEADLINES = resolveDeadlines(deadlineOptionsSchema.parse({}));

const base = (id: string, over: Partial<RequestRecord>): RequestRecord => ({
  id,
  sent_at_ms: 1_000,
  prompt_tokens: 50,
  output_tokens: 10,
  chunks: [
    [100, 4],
    [300, 6],
  ],
  token_count_source: 'usage_final',
  outcome: 'ok',
  ...over,
});

const records: RequestRecord[] = [
  // Streamed thinking: first reasoning at 100 ms, the answer from 300 ms.
  base('a', {
    reasoning_tokens: 4,
    first_reasoning_ms: 100,
    first_visible_ms: 300,
    cached_prompt_tokens: 32,
  }),
  base('b', {
    reasoning_tokens: 8,
    first_reasoning_ms: 200,
    first_visible_ms: 500,
    chunks: [
      [200, 8],
      [500, 2],
    ],
  }),
  // Hidden reasoning (a count only): the first token is the first visible one.
  base('c', { reasoning_tokens: 6, first_visible_ms: 100 }),
  // No reasoning at all: the first visible token is the TTFT.
  base('d', {}),
  // Failed requests do not count in the split.
  base('e', { outcome: 'stream_error', reasoning_tokens: 99, first_reasoning_ms: 5 }),
];

function summarize(rs: RequestRecord[]): RunSummary {
  const summary = new RunSummary();
  for (const r of rs) summary.add(computeRequestMetrics(r, DEADLINES));
  return summary;
}

describe('reasoning split in the summary', () => {
  it('reports TTFRT, time to first visible token, reasoning and cached tokens of ok requests', () => {
    const r = summarize(records).report().reasoning!;
    expect(r.ttfrt_s).toMatchObject({ count: 2, min: 0.1, max: 0.2 });
    expect(r.ttfvt_s).toMatchObject({ count: 4, min: 0.1, max: 0.5, p50: 0.2 });
    expect(r.reasoning_tokens).toMatchObject({ count: 3, mean: 6 });
    expect(r.cached_prompt_tokens).toMatchObject({ count: 1, mean: 32 });
  });

  it('keeps reasoning inside output tokens (the output distribution is unchanged)', () => {
    const report = summarize(records).report();
    expect(report.output_tokens).toMatchObject({ count: 4, mean: 10 });
  });

  it('survives the shard state round trip and merging', () => {
    const one = summarize(records.slice(0, 2));
    const two = summarize(records.slice(2));
    const merged = RunSummary.fromJSON(runSummaryStateSchema.parse(JSON.parse(JSON.stringify(one.toJSON()))));
    merged.merge(two);
    expect(merged.report().reasoning).toEqual(summarize(records).report().reasoning);
  });

  it('per-request rows carry the split; a request with reasoning but no visible text has no TTFVT', () => {
    const row = toRequestMetricsRow(computeRequestMetrics(records[0]!, DEADLINES));
    expect(row).toMatchObject({ reasoning_tokens: 4, ttfrt_s: 0.1, ttfvt_s: 0.3, cached_prompt_tokens: 32 });
    const thinkingOnly = computeRequestMetrics(
      base('t', { first_reasoning_ms: 100, reasoning_tokens: 10 }),
      DEADLINES,
    );
    expect(thinkingOnly.ttfvtUs).toBeNull();
    expect(toRequestMetricsRow(computeRequestMetrics(records[3]!, DEADLINES)).ttfvt_s).toBe(0.1);
  });

  it('prints a reasoning line only when there is something to say', () => {
    expect(reasoningLines(summarize(records).report()).join('\n')).toMatch(
      /^Reasoning: first reasoning token p50 .* \(2 requests\); first visible token .*reasoning tokens mean 6\.0 of output \(3 requests reported\)\nCached prompt tokens: mean 32\.0/,
    );
    expect(reasoningLines(summarize([records[3]!]).report())).toEqual([]);
  });
});

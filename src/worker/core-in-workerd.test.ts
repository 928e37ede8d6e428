import { describe, expect, it } from 'vitest';
import { Analyzer } from '../core/metrics/analysis.ts';
import { deadlineOptionsSchema } from '../core/metrics/deadline-options.ts';
import { RunSummary, runSummaryStateSchema } from '../core/metrics/run-summary.ts';

// The metrics core must run inside the Workers runtime (shards summarise, a coordinator merges).

function records(count: number, region: string) {
  return Array.from({ length: count }, (_, i) => ({
    id: `${region}-${i}`,
    region,
    sent_at_ms: 0,
    prompt_tokens: 100,
    output_tokens: 50,
    chunks: Array.from({ length: 50 }, (_, k) => [200 + k * 20 + (i % 7), 1] as [number, number]),
    token_count_source: 'usage_stream' as const,
    outcome: 'ok' as const,
  }));
}

describe('metrics core in workerd', () => {
  it('summarises, serialises through JSON, and merges (sketched) like in Node', () => {
    const deadlines = deadlineOptionsSchema.parse({});
    const shards = ['wnam', 'weur'].map((region) => {
      const analyzer = new Analyzer({ deadlines, exactLimit: 4 }); // 7 distinct TTFTs: forces the sketch
      for (const record of records(200, region)) analyzer.add(record);
      return JSON.parse(JSON.stringify(analyzer.regionStates()));
    });
    const merged = new RunSummary();
    for (const states of shards) {
      for (const state of Object.values(states))
        merged.merge(RunSummary.fromJSON(runSummaryStateSchema.parse(state)));
    }
    const report = merged.report();
    expect(report.requests).toBe(400);
    expect(report.tbt_s.count).toBe(400 * 49);
    expect(report.ttft_s.exact).toBe(false);
    // Each request's TTFT is 200 + (i % 7) ms: the sketch's median is within 0.1% of 203 ms.
    expect(Math.abs(report.ttft_s.p50! - 0.203) / 0.203).toBeLessThanOrEqual(0.001);
    expect(report.service_level).toEqual({ missed_deadlines: 0, total_deadlines: 400 * 50, miss_rate: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { Analyzer } from '../metrics/analysis.ts';
import { deadlineOptionsSchema } from '../metrics/deadline-options.ts';
import { percentile } from '../metrics/percentile.ts';
import { toRequestMetricsRow } from '../metrics/request-metrics.ts';
import { type RequestRecord, requestRecordSchema } from '../record/request-record.ts';
import type { SearchResult } from '../search/search-protocol.ts';
import { createRandom } from '../workload/seeded-random.ts';
import { ALL_REGIONS, HEADLINE_METRICS } from './headline-metrics.ts';
import { capacityPoints, headlinePoints } from './headline-points.ts';

/** Records with seeded token gaps in two regions; a few failed. */
function records(seed: number): RequestRecord[] {
  const random = createRandom(seed);
  return Array.from({ length: 40 }, (_, i) => {
    const ok = i % 10 !== 9;
    let atMs = 50 + random.next() * 400;
    const chunks: [number, number][] = [];
    for (let t = 0; ok && t < 20; t++) {
      chunks.push([atMs, 1]);
      atMs += 5 + random.next() * 60;
    }
    return requestRecordSchema.parse({
      id: `r${i}`,
      region: i % 2 === 0 ? 'weur' : 'wnam',
      sent_at_ms: 1_700_000_000_000 + i * 100,
      prompt_tokens: 100,
      output_tokens: chunks.length,
      chunks,
      token_count_source: 'usage_stream',
      outcome: ok ? 'ok' : 'http_error',
      status: ok ? 200 : 500,
    });
  });
}

describe('headlinePoints', () => {
  const analyzer = new Analyzer({ deadlines: deadlineOptionsSchema.parse({}) });
  const perRequest = records(7).map((r) => ({
    region: r.region,
    ok: r.outcome === 'ok',
    m: toRequestMetricsRow(analyzer.add(r)),
  }));
  const { summary } = analyzer.report();
  const points = headlinePoints({ summary });
  const value = (region: string, metric: string) =>
    points.find((p) => p.region === region && p.metric === metric)?.value;

  it('gives every run metric once per region and once for the whole run', () => {
    const runMetrics = Object.keys(HEADLINE_METRICS).filter((m) => !m.startsWith('capacity_'));
    for (const region of ['weur', 'wnam', ALL_REGIONS]) {
      expect(points.filter((p) => p.region === region).map((p) => p.metric)).toEqual(runMetrics);
    }
    expect(points).toHaveLength(3 * runMetrics.length);
  });

  it('reads each region from its own requests, in seconds and tokens per second', () => {
    for (const region of ['weur', 'wnam']) {
      const mine = perRequest.filter((r) => r.region === region);
      const ok = mine.filter((r) => r.ok);
      expect(value(region, 'ttft_p50_s')).toBeCloseTo(
        percentile(
          ok.map((r) => r.m.ttft_s as number),
          0.5,
        ) as number,
        9,
      );
      expect(value(region, 'error_rate')).toBe(mine.filter((r) => !r.ok).length / mine.length);
      // fluidity_p1 is derived from the miss rate's p99: it must equal the fluidity values' own p1.
      const fluidity = ok.map((r) => r.m.fluidity_index as number);
      expect(value(region, 'fluidity_p1')).toBeCloseTo(percentile(fluidity, 0.01) as number, 12);
      const speed = value(region, 'output_speed_tok_s') as number;
      expect(speed).toBeGreaterThan(1); // tokens per second, not per ms
    }
    expect(value(ALL_REGIONS, 'error_rate')).toBe(0.1);
  });

  it('gives null for what was not measured', () => {
    const empty = new Analyzer({ deadlines: deadlineOptionsSchema.parse({}) }).report().summary;
    const nulls = headlinePoints({ summary: empty });
    expect(nulls.every((p) => p.value === null)).toBe(true);
    expect(nulls.map((p) => p.region)).toEqual(nulls.map(() => ALL_REGIONS));
  });
});

describe('capacityPoints', () => {
  const result = (over: Partial<SearchResult>): SearchResult => ({
    stop_reason: 'converged',
    bracket: { lo: 8, hi: 12 },
    lower_bound_only: false,
    root: { load: 10, lo: 9, hi: 11 },
    probes: [],
    requests_used: 0,
    output_tokens_used: 0,
    elapsed_s: 0,
    regions: { weur: { bracket: { lo: 6, hi: 9 } }, wnam: { bracket: { lo: null, hi: 4 } } },
    ...over,
  });

  it('takes the estimate with its interval overall and each region’s passing load', () => {
    expect(capacityPoints(result({}), 'qps')).toEqual([
      { region: 'weur', metric: 'capacity_qps', value: 6 },
      { region: ALL_REGIONS, metric: 'capacity_qps', value: 10, lo: 9, hi: 11 },
    ]);
    expect(capacityPoints(result({ root: null }), 'concurrency').at(-1)).toEqual({
      region: ALL_REGIONS,
      metric: 'capacity_streams',
      value: 8,
    });
  });

  it('stores nothing for a lower bound only', () => {
    expect(capacityPoints(result({ lower_bound_only: true }), 'qps')).toEqual([]);
  });
});

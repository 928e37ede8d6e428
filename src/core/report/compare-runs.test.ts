import { describe, expect, it } from 'vitest';
import type { RunResults } from '../api/run-results-schema.ts';
import { Analyzer } from '../metrics/analysis.ts';
import { deadlineOptionsSchema } from '../metrics/deadline-options.ts';
import { type RequestRecord, requestRecordSchema } from '../record/request-record.ts';
import { createRandom } from '../workload/seeded-random.ts';
import { COMPARED_METRICS, type CompareInput, compareRuns } from './compare-runs.ts';
import { CompareSamples } from './compare-samples.ts';
import { formatComparison } from './format-compare.ts';

/** 300 seeded requests in two regions: TTFT around `ttftMs`, 20 tokens with 5–65 ms gaps; 1 in 30 failed. */
function records(seed: number, ttftMs: number): RequestRecord[] {
  const random = createRandom(seed);
  return Array.from({ length: 300 }, (_, i) => {
    const ok = i % 30 !== 29;
    let atMs = ttftMs * (0.8 + 0.4 * random.next());
    const chunks: [number, number][] = [];
    for (let t = 0; ok && t < 20; t++) {
      chunks.push([atMs, 1]);
      atMs += 5 + random.next() * 60;
    }
    return requestRecordSchema.parse({
      id: `r${String(i).padStart(4, '0')}`,
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

/** A run's results as the API serves them (the fields compare reads) and its intervals. */
function run(id: string, seed: number, ttftMs: number, region?: string): CompareInput {
  const recs = records(seed, ttftMs);
  const analyzer = new Analyzer({ deadlines: deadlineOptionsSchema.parse({}) });
  for (const r of recs) analyzer.add(r);
  const summary = analyzer.report().summary;
  const results = {
    id,
    state: 'done',
    target: { api: 'openai-chat', base_url: `https://${id}.example.com/v1`, model: 'm' },
    summary,
  } as unknown as RunResults;
  const samples = new CompareSamples(summary.deadlines, region);
  for (const r of recs) samples.add(r);
  return { results, region: region ?? 'all', intervals: samples.intervals(), records: samples.records };
}

describe('compareRuns', () => {
  const base = run('a', 1, 200);
  const twin = run('b', 2, 200);
  const slower = run('c', 3, 400);
  const c = compareRuns([base, twin, slower]);
  const figure = (metric: string, i: number) => c.metrics.find((m) => m.metric === metric)!.figures[i]!;

  it('puts every figure inside its own interval', () => {
    for (const m of c.metrics)
      for (const f of m.figures) {
        if (f.value === null || !f.interval) continue;
        // a sketch-free small run: the report's figure is the exact statistic of the same records
        expect(f.interval.lo, m.metric).toBeLessThanOrEqual(f.value + 1e-9);
        expect(f.interval.hi, m.metric).toBeGreaterThanOrEqual(f.value - 1e-9);
      }
    expect(c.metrics.map((m) => m.metric)).toEqual(COMPARED_METRICS);
  });

  it('calls a doubled TTFT worse and the same workload with another seed within uncertainty', () => {
    expect(figure('ttft_p50_s', 0).verdict).toBe('baseline');
    expect(figure('ttft_p50_s', 2).verdict).toBe('worse');
    expect(figure('ttft_p50_s', 2).delta_ratio).toBeGreaterThan(0.8);
    expect(figure('ttft_p50_s', 1).verdict).toBe('within_uncertainty');
    expect(figure('tbt_p99_s', 1).verdict).toBe('within_uncertainty');
    expect(figure('error_rate', 2).verdict).toBe('within_uncertainty');
    const delta = figure('ttft_p50_s', 2).delta!;
    expect(delta).toBeCloseTo(figure('ttft_p50_s', 2).value! - figure('ttft_p50_s', 0).value!, 12);
  });

  it('keeps fractions in [0, 1] and gives no miss at all a width', () => {
    for (const i of [0, 1, 2]) {
      for (const metric of ['fluidity_p1', 'fluidity_p50']) {
        const f = figure(metric, i).interval!;
        expect(f.lo, metric).toBeGreaterThanOrEqual(0);
        expect(f.hi, metric).toBeLessThanOrEqual(1);
      }
    }
    // Runs a and b miss no deadline (value 0); their interval still has an upper bound above 0.
    expect(figure('service_miss_rate', 0).value).toBe(0);
    expect(figure('service_miss_rate', 0).interval!.hi).toBeGreaterThan(0);
  });

  it('a p99 of 290 requests has no upper bound, so its change is never called real', () => {
    expect(figure('ttft_p99_s', 2).interval!.hi).toBe(Number.POSITIVE_INFINITY);
    expect(figure('ttft_p99_s', 2).verdict).toBe('within_uncertainty');
  });

  it('says unknown without records and compares a region on its own', () => {
    const bare = compareRuns([{ ...base, intervals: null, records: null }, slower]);
    expect(bare.metrics.find((m) => m.metric === 'ttft_p50_s')!.figures[1]!.verdict).toBe('unknown');
    const weur = compareRuns([run('a', 1, 200, 'weur'), run('c', 3, 400, 'weur')]);
    expect(weur.runs[0]!.records).toBe(150);
    expect(weur.runs[0]!.requests).toBe(150);
    // One run's two regions side by side.
    const regions = compareRuns([run('a', 1, 200, 'weur'), run('a', 1, 200, 'wnam')]);
    expect(regions.runs.map((r) => [r.id, r.region])).toEqual([
      ['a', 'weur'],
      ['a', 'wnam'],
    ]);
    expect(regions.metrics.find((m) => m.metric === 'ttft_p50_s')!.figures[1]!.verdict).toBe(
      'within_uncertainty',
    );
    expect(weur.metrics.find((m) => m.metric === 'ttft_p50_s')!.figures[1]!.verdict).toBe('worse');
  });

  it('prints one column per run with intervals and marks', () => {
    const text = formatComparison(c);
    expect(text).toContain('c.example.com');
    expect(text).toContain('WORSE');
    expect(text).toContain('~');
    expect(text).toMatch(/\[\d[^\]]*, ∞\]/);
  });
});

import { describe, expect, it } from 'vitest';
import type { RunResults } from '../api/run-results-schema.ts';
import { Analyzer } from '../metrics/analysis.ts';
import { DEFAULT_DEADLINES } from '../metrics/deadline-options.ts';
import { buildCompareReportData } from './compare-report-data.ts';
import { seededRandom, syntheticRecords } from './synthetic-records.ts';

/** A run's results as the API serves them (the fields the comparison reads), two regions. */
function run(id: string, seed: number, tokens: number): RunResults {
  const analyzer = new Analyzer({ deadlines: { ...DEFAULT_DEADLINES } });
  for (const r of syntheticRecords({
    requests: 120,
    qps: 20,
    outputTokens: tokens,
    random: seededRandom(seed),
  }))
    analyzer.add(r);
  return {
    id,
    name: null,
    state: 'done',
    target: { api: 'openai-chat', base_url: `https://${id}.example.com/v1`, model: `m-${id}` },
    summary: analyzer.report().summary,
  } as unknown as RunResults;
}

describe('buildCompareReportData', () => {
  const runs = [run('a', 1, 20), run('b', 2, 60), run('c', 3, 40)];
  const data = buildCompareReportData(runs, 0);

  it('splits the scatter of run × region points at the medians of TTFT and output speed', () => {
    const drawn = data.scatter.rows.map((i) => data.rows[i]!);
    expect(drawn).toHaveLength(6);
    expect(drawn.every((r) => r.region !== 'all')).toBe(true);
    const median = (values: number[]) => {
      const s = [...values].sort((x, y) => x - y);
      return (s[2]! + s[3]!) / 2;
    };
    const ttft = median(drawn.map((r) => r.ttft_p50_s!));
    const tps = median(drawn.map((r) => r.output_tps_p50!));
    expect(data.scatter.ttft_split_s).toBeCloseTo(ttft, 12);
    expect(data.scatter.output_tps_split).toBeCloseTo(tps, 12);
    for (const r of drawn)
      expect(r.attractive, `${r.label} ${r.region}`).toBe(r.ttft_p50_s! <= ttft && r.output_tps_p50! >= tps);
    // Three of six points on each side of each median: some are in the quadrant, not all.
    const inside = drawn.filter((r) => r.attractive).length;
    expect(inside).toBeGreaterThan(0);
    expect(inside).toBeLessThan(6);
    expect(data.rows.filter((r) => r.region === 'all').every((r) => !r.attractive)).toBe(true);
  });

  it('lays the rows out as a region × run table', () => {
    expect(data.runs.map((r) => r.run_id)).toEqual(['a', 'b', 'c']);
    expect(data.matrix.regions[0]).toBe('all');
    expect(data.matrix.regions.slice(1).sort()).toEqual(['weur', 'wnam']);
    data.matrix.regions.forEach((region, i) => {
      data.runs.forEach((_, j) => {
        const row = data.rows[data.matrix.cells[i]![j]!]!;
        expect([row.region, row.run]).toEqual([region, j]);
      });
    });
  });

  it('draws no quadrant with fewer than 2 points, and says so', () => {
    const one = run('solo', 4, 30);
    one.summary.regions = {};
    const d = buildCompareReportData([one], 0);
    expect(d.scatter.rows).toEqual([0]);
    expect(d.scatter.ttft_split_s).toBeNull();
    expect(d.rows[0]!.attractive).toBe(false);
    expect(d.notes.join(' ')).toMatch(/no quadrant/);
  });
});

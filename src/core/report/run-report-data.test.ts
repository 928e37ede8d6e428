import { describe, expect, it } from 'vitest';
import { Analyzer } from '../metrics/analysis.ts';
import { DEFAULT_DEADLINES } from '../metrics/deadline-options.ts';
import { deadlineCounts, deadlineMissesPerToken, missRate } from '../metrics/fluidity.ts';
import { interTokenTimesUs } from '../metrics/token-times.ts';
import { sToUs } from '../metrics/units.ts';
import { TIMELINE_MAX_REQUESTS } from './report-data.ts';
import { valueAtPath } from './report-kpis.ts';
import { buildRunReportData } from './run-report-data.ts';
import { seededRandom, syntheticRecords } from './synthetic-records.ts';

function analyzed(requests: number) {
  const records = syntheticRecords({ requests, qps: 50, outputTokens: 40, random: seededRandom(requests) });
  const analyzer = new Analyzer({ deadlines: { ...DEFAULT_DEADLINES } });
  for (const r of records) analyzer.add(r);
  return { records, report: analyzer.report() };
}

describe('buildRunReportData', () => {
  const { records, report } = analyzed(300);
  const data = buildRunReportData({
    results: report,
    records,
    source: { type: 'file', name: 'x.jsonl' },
    nowMs: 1,
  });

  it('reads every KPI with a source from the results at that path, exactly', () => {
    const sourced = data.kpis.filter((k) => k.source !== null);
    expect(sourced.length).toBeGreaterThanOrEqual(9);
    for (const kpi of sourced) expect(kpi.value, kpi.key).toBe(valueAtPath(report, kpi.source!));
  });

  it('shows the fluidity-index p1 and p50 of the successful requests, type-7 exact', () => {
    const fluidity = records
      .filter((r) => r.outcome === 'ok' && r.chunks.some(([, n]) => n > 0))
      .map(
        (r) =>
          1 -
          missRate(
            deadlineCounts(
              interTokenTimesUs(r.chunks),
              sToUs(DEFAULT_DEADLINES.ttft_deadline_s),
              sToUs(DEFAULT_DEADLINES.tbt_deadline_s),
            ),
          ),
      )
      .sort((a, b) => a - b);
    const type7 = (q: number) => {
      const h = (fluidity.length - 1) * q;
      const lo = Math.floor(h);
      return fluidity[lo]! + (h - lo) * (fluidity[Math.min(lo + 1, fluidity.length - 1)]! - fluidity[lo]!);
    };
    const byKey = new Map(data.kpis.map((k) => [k.key, k]));
    expect(byKey.get('fluidity_p1')?.source).toBe('summary.fluidity_index.p1');
    expect(byKey.get('fluidity_p1')?.value).toBeCloseTo(type7(0.01), 12);
    expect(byKey.get('fluidity_p50')?.value).toBeCloseTo(type7(0.5), 12);
    expect(byKey.has('fluidity_min')).toBe(false);
    // Not the minimum: the synthetic run has a long low tail.
    expect(type7(0.01)).not.toBe(fluidity[0]);
  });

  it('colours each read of the timeline by the deadline schedule', () => {
    expect(data.timeline.requests).toHaveLength(300);
    let anyMissed = 0;
    data.timeline.requests.forEach((row, i) => {
      const record = records[i]!;
      const overran = deadlineMissesPerToken(
        interTokenTimesUs(record.chunks),
        sToUs(DEFAULT_DEADLINES.ttft_deadline_s),
        sToUs(DEFAULT_DEADLINES.tbt_deadline_s),
      );
      // Map tokens to reads: a read is missed when any of its tokens overran a deadline.
      const expected: number[] = [];
      let token = 0;
      record.chunks
        .filter(([, n]) => n > 0)
        .forEach(([, n], c) => {
          if (overran.slice(token, token + n).some((o) => o > 0)) expected.push(c);
          token += n;
        });
      expect(row.m).toEqual(expected);
      anyMissed += expected.length;
    });
    expect(anyMissed).toBeGreaterThan(0);
  });

  it('CDFs run from each region summary minimum to its maximum', () => {
    const ttft = data.cdfs.find((c) => c.metric === 'ttft_s')!;
    for (const [region, cdf] of Object.entries(ttft.regions)) {
      const summary = report.summary.regions[region]!.ttft_s;
      expect(cdf.count).toBe(summary.count);
      expect(cdf.x[0]).toBe(summary.min);
      expect(cdf.x.at(-1)).toBe(summary.max);
      expect(cdf.x[100]).toBeCloseTo(summary.p50!, 9);
    }
  });

  it('the token series adds up to every streamed token; failures are counted by outcome', () => {
    const tokens = data.series.tokens_per_s.reduce((sum, v) => sum + v * data.series.bin_s, 0);
    const streamed = records.reduce((sum, r) => sum + r.chunks.reduce((s, [, n]) => s + n, 0), 0);
    expect(tokens).toBeCloseTo(streamed, 0);
    const failed = Object.values(data.series.errors).reduce(
      (sum, list) => sum + list.reduce((a, b) => a + b, 0),
      0,
    );
    expect(failed).toBe(report.summary.failed);
    expect(data.series.t.length).toBeLessThanOrEqual(300);
  });

  it('samples the timeline beyond its bound and says so', () => {
    const big = analyzed(TIMELINE_MAX_REQUESTS * 2 + 10);
    const d = buildRunReportData({
      results: big.report,
      records: big.records,
      source: { type: 'file', name: 'b' },
      nowMs: 1,
    });
    expect(d.timeline.every).toBe(3);
    expect(d.timeline.requests.length).toBeLessThanOrEqual(TIMELINE_MAX_REQUESTS);
    expect(d.notes.join(' ')).toMatch(/every 3rd request/);
  });
});

describe('the P99 miss-rate curve', () => {
  it('is computed from the records when the results lack it, equal to what the analyzer computes', () => {
    const records = syntheticRecords({ requests: 200, qps: 50, outputTokens: 30, random: seededRandom(9) });
    const plain = new Analyzer({ deadlines: { ...DEFAULT_DEADLINES } });
    const withCurve = new Analyzer({ deadlines: { ...DEFAULT_DEADLINES }, missRateCurve: true });
    for (const r of records) {
      plain.add(r);
      withCurve.add(r);
    }
    const report = plain.report();
    expect(report.summary.miss_rate_curve).toBeNull();
    const data = buildRunReportData({
      results: report,
      records,
      source: { type: 'file', name: 'c' },
      nowMs: 0,
    });
    expect(data.miss_rate_curve).toEqual(withCurve.report().summary.miss_rate_curve);
    expect(data.notes.join(' ')).toMatch(/computed here from the records/);
  });
});

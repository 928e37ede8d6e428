import { describe, expect, it } from 'vitest';
import type { HistoryResponse } from '../api/history-api-schemas.ts';
import type { ProfileDetail } from '../api/profile-api-schemas.ts';
import type { SearchStatus } from '../api/search-api-schemas.ts';
import { baselineOf } from '../history/regression-rule.ts';
import { fitPrefillPredictor, predictPrefillS, prefillFitReport } from '../profile/prefill-predictor.ts';
import {
  buildHistoryReportData,
  buildProfileReportData,
  buildSearchReportData,
} from './campaign-report-data.ts';

describe('buildHistoryReportData', () => {
  it('gives each point the band of the points before it, and keeps the flags', () => {
    const values = [1, 1.1, 0.9, 1, 2, 2.1];
    const history: HistoryResponse = {
      series: [
        {
          schedule_id: 's1',
          api: 'openai-chat',
          host: 'h',
          model: 'm',
          region: 'all',
          metric: 'ttft_p99_s',
          worse_when: 'higher',
          points: values.map((value, i) => ({
            run_id: `r${i}`,
            kind: 'run',
            at_ms: i * 1000,
            value,
            lo: null,
            hi: null,
          })),
          flags: [
            { run_id: 'r5', at_ms: 5000, reason: 'outside_band_twice', value: 2.1, baseline: 1, band: 0.3 },
          ],
        },
      ],
      points: 6,
      truncated: false,
    };
    const data = buildHistoryReportData(history, 'h', 0);
    const s = data.series[0]!;
    expect(s.band_lo.slice(0, 3)).toEqual([null, null, null]);
    const b = baselineOf(values.slice(0, 4))!;
    expect(s.band_hi[4]).toBe(b.baseline + b.band);
    expect(s.flags).toEqual([{ at_ms: 5000, value: 2.1, reason: 'outside_band_twice' }]);
  });
});

describe('buildProfileReportData', () => {
  it('gives each per-length minimum its residual against the predictor and marks the extrapolated part', () => {
    const minima = [
      { prompt_tokens: 100, ttft_s: 0.03 },
      { prompt_tokens: 400, ttft_s: 0.05 },
      { prompt_tokens: 1600, ttft_s: 0.13 },
    ];
    const predictor = fitPrefillPredictor(minima);
    const profile = {
      id: 'p1',
      name: null,
      state: 'done',
      profile: { samples: minima, predictor },
      min_ttft_per_length: minima,
      fit: prefillFitReport(predictor, minima),
    } as unknown as ProfileDetail;
    const data = buildProfileReportData(profile, 0);
    for (const m of data.minima)
      expect(m.residual_s).toBe(m.ttft_s - predictPrefillS(predictor, m.prompt_tokens));
    expect(data.curve.extrapolated_from).toBe(1600);
    expect(data.curve.prompt_tokens.at(-1)).toBe(2400);
    expect(data.curve.prefill_s[0]).toBe(predictPrefillS(predictor, 0));
  });
});

describe('buildSearchReportData', () => {
  it('keeps each probe with its interval, the threshold and the bracket', () => {
    const probe = (index: number, load: number, bad: number) => ({
      index,
      offered_load: load,
      achieved_load: load,
      replicate_of: null,
      planned_requests: 100,
      requests: 100,
      bad: bad * 100,
      errors: 0,
      output_tokens: 0,
      counts: {},
      binding_part: 'ttft',
      bad_fraction: bad,
      threshold_fraction: 0.05,
      interval: { lo: bad / 2, hi: bad * 2 },
      statistic: null,
      verdict: bad > 0.05 ? ('fail' as const) : ('pass' as const),
      resolved: true,
      reason: '',
      elapsed_s: 1,
    });
    const search = {
      id: 's1',
      name: null,
      state: 'done',
      reason: null,
      created_at_ms: 0,
      finished_at_ms: 1,
      warm_start_load: null,
      current: null,
      probes: [],
      result: {
        stop_reason: 'bracket_narrow',
        bracket: { lo: 4, hi: 8 },
        lower_bound_only: false,
        root: null,
        probes: [probe(0, 4, 0.01), probe(1, 8, 0.2)],
        requests_used: 200,
        output_tokens_used: 0,
        elapsed_s: 2,
      },
    } satisfies SearchStatus;
    const data = buildSearchReportData(search, 0);
    expect(data.threshold).toBe(0.05);
    expect(data.bracket).toEqual({ lo: 4, hi: 8 });
    expect(data.probes.map((p) => [p.load, p.lo, p.hi, p.verdict])).toEqual([
      [4, 0.005, 0.02, 'pass'],
      [8, 0.1, 0.4, 'fail'],
    ]);
    expect(data.notes.join(' ')).not.toMatch(/fitted curve/);
    const modelled = buildSearchReportData(
      { ...search, result: { ...search.result, root: { load: 6, lo: 5, hi: 7 } } },
      0,
    );
    expect(modelled.root).toEqual({ load: 6, lo: 5, hi: 7 });
    expect(modelled.notes.join(' ')).toMatch(/No fitted curve/);
  });
});

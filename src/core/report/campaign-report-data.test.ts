import { describe, expect, it } from 'vitest';
import type { HistoryResponse } from '../api/history-api-schemas.ts';
import { baselineOf } from '../history/regression-rule.ts';
import { buildHistoryReportData } from './campaign-report-data.ts';

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

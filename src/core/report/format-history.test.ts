import { describe, expect, it } from 'vitest';
import type { HistoryResponse } from '../api/history-api-schemas.ts';
import { toSeries } from '../history/history-series.ts';
import { formatHistory, formatValue, sparkline } from './format-history.ts';

describe('sparkline', () => {
  it('maps the smallest value to ▁ and the largest to █, in order', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([10, 0])).toBe('█▁');
    expect(sparkline([3, 3, 3])).toBe('▄▄▄');
    expect(sparkline([])).toBe('');
  });
});

describe('formatHistory', () => {
  const values = [0.5, 0.51, 0.49, 0.5, 0.52, 0.5, 0.6, 0.61];
  const series = toSeries(
    values.map((value, i) => ({
      schedule_id: 'nightly',
      api: 'openai-chat',
      host: 'api.example.com',
      model: 'm1',
      region: 'weur',
      metric: 'ttft_p50_s' as const,
      run_id: `r${i}`,
      kind: 'run' as const,
      at_ms: Date.UTC(2026, 11, 1 + i),
      value,
      lo: null,
      hi: null,
    })),
  );
  const history: HistoryResponse = { series, points: values.length, truncated: false };

  it('prints one line per series with its trend, last values and the newest flag', () => {
    const text = formatHistory(history, 20);
    const line = text.split('\n').find((l) => l.includes('ttft_p50_s')) ?? '';
    expect(line).toContain('openai-chat api.example.com m1');
    expect(line).toContain(sparkline(values));
    expect(line).toContain('0.5 0.6 0.61');
    // Band: the 7 before have MAD 0.01, so 3·MAD = 0.03 beats 5% of 0.5.
    expect(line).toContain('⚠ 2026-12-08 0.61 vs 0.5 ± 0.03 (2 in a row outside band)');
  });

  it('keeps only the last values in the sparkline and says when the answer was cut', () => {
    const text = formatHistory({ ...history, truncated: true }, 2);
    expect(text).toContain(' ▁█ ');
    expect(text).toContain('only the newest 8 points');
    expect(formatHistory({ series: [], points: 0, truncated: false }, 5)).toBe('no history matches\n');
  });

  it('writes values with three significant digits', () => {
    expect([formatValue(0.123456), formatValue(1234.5), formatValue(0), formatValue(2e-5)]).toEqual([
      '0.123',
      '1230',
      '0',
      '2.00e-5',
    ]);
  });
});

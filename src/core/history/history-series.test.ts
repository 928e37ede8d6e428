import { describe, expect, it } from 'vitest';
import { type KeyedPoint, toSeries } from './history-series.ts';

const point = (over: Partial<KeyedPoint>, i: number, value: number): KeyedPoint => ({
  schedule_id: 'nightly',
  api: 'openai-chat',
  host: 'a.example.com',
  model: 'm',
  region: 'weur',
  metric: 'fluidity_p1',
  run_id: `r${i}`,
  kind: 'run',
  at_ms: i,
  value,
  lo: null,
  hi: null,
  ...over,
});

describe('toSeries', () => {
  it('keeps schedules, targets, regions and metrics apart, points in the given order', () => {
    const drop = [0.99, 0.99, 0.98, 0.99, 0.8, 0.8];
    const points = [
      ...drop.map((v, i) => point({}, i, v)),
      ...drop.map((_, i) => point({ host: 'b.example.com' }, i, 0.99)),
      ...drop.map((v, i) => point({ schedule_id: null }, i, v)),
      point({ metric: 'ttft_p99_s' }, 9, 1),
    ];
    const series = toSeries(points);
    expect(series.map((s) => [s.schedule_id, s.host, s.metric, s.points.length])).toEqual([
      ['nightly', 'a.example.com', 'fluidity_p1', 6],
      ['nightly', 'b.example.com', 'fluidity_p1', 6],
      [null, 'a.example.com', 'fluidity_p1', 6],
      ['nightly', 'a.example.com', 'ttft_p99_s', 1],
    ]);
    // Fluidity is worse when lower: the two 0.8 nights flag on the second, in both series that have them.
    expect(series.map((s) => s.worse_when)).toEqual(['lower', 'lower', 'lower', 'higher']);
    expect(series.map((s) => s.flags.map((f) => f.run_id))).toEqual([['r5'], [], ['r5'], []]);
  });
});

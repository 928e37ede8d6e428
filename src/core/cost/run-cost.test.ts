import { describe, expect, it } from 'vitest';
import {
  estimateRunCost,
  USD_PER_M_CPU_MS,
  USD_PER_M_D1_ROWS_WRITTEN,
  USD_PER_M_DO_GB_S,
  USD_PER_M_DO_ROWS_WRITTEN,
} from './run-cost.ts';

const line = (cost: ReturnType<typeof estimateRunCost>, item: string) =>
  cost.lines.find((l) => l.item === item);

describe('estimateRunCost', () => {
  it('prices measured quantities at the per-million rates and sums the lines', () => {
    const cost = estimateRunCost({
      requests: 1_000_000,
      shards: 2,
      activeS: 100,
      chunks: 0,
      cpuMs: 2_000_000,
      doRowsWritten: 3_000_000,
      d1RowsWritten: 1_000_000,
      d1Bytes: 0,
      shardActiveS: 150,
    });
    expect(line(cost, 'Workers CPU')?.usd).toBeCloseTo(2 * USD_PER_M_CPU_MS, 12);
    expect(line(cost, 'DO SQLite rows written')?.usd).toBeCloseTo(3 * USD_PER_M_DO_ROWS_WRITTEN, 12);
    expect(line(cost, 'D1 rows written')?.usd).toBeCloseTo(USD_PER_M_D1_ROWS_WRITTEN, 12);
    // The coordinator is active for the whole run (100 s) beside the shards' measured 150 s.
    expect(line(cost, 'DO duration')?.quantity).toBeCloseTo(250 * 0.125, 9);
    expect(line(cost, 'DO duration')?.usd).toBeCloseTo(((250 * 0.125) / 1e6) * USD_PER_M_DO_GB_S, 12);
    const sum = cost.lines.reduce((s, l) => s + l.usd, 0);
    expect(cost.total_usd).toBeCloseTo(sum, 12);
    expect(cost.usd_per_million_requests).toBeCloseTo(sum, 9);
  });

  it('falls back to the measured per-request constants and grows with the work', () => {
    const small = estimateRunCost({ requests: 100, shards: 1, activeS: 10, chunks: 5_000 });
    const big = estimateRunCost({ requests: 10_000, shards: 1, activeS: 10, chunks: 500_000 });
    expect(big.total_usd).toBeGreaterThan(small.total_usd);
    expect(
      estimateRunCost({ requests: 0, shards: 1, activeS: 0, chunks: 0 }).usd_per_million_requests,
    ).toBeNull();
  });
});

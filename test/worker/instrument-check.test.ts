import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/core/api/run-results-schema.ts';
import { createRun, exportRecords, results, simRunConfig, waitForEnd } from './run-kit.ts';

// The instrument check runs inside workerd against the Worker's own simulator (a loopback call
// through ctx.exports): its figures must reach the results, per region, and stay out of the records.

describe('the instrument check', () => {
  it("reports each region's send → headers and chunk error from the Worker's own simulator", async () => {
    const id = await createRun(simRunConfig({ instrument_check: { requests: 2, output_tokens: 5 } }));
    const end = await waitForEnd(id);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const body = await results<RunResults>(id);
    for (const region of ['wnam', 'weur']) {
      const check = body.regions[region]?.instrument_check;
      expect(check, region).toBeDefined();
      // One shard per region, two requests each; every one streamed its 5 tokens.
      expect(check?.requests).toBe(2);
      expect(check?.ok).toBe(2);
      // Same clock on both sides: the error can't be negative beyond the clock's 1 ms resolution.
      expect(check?.chunk_error_ms.p50).toBeTypeOf('number');
      expect(check?.chunk_error_ms.p50 ?? -1).toBeGreaterThanOrEqual(-1);
      expect(check?.send_to_headers_ms.p50 ?? -1).toBeGreaterThanOrEqual(0);
    }
    // Calibration requests are not part of the run's records or its summary.
    const records = await exportRecords(id);
    expect(records).toHaveLength(8);
    expect(records.some((r) => r.id.includes('-check-'))).toBe(false);

    // The cost figures come from what the shards measured: D1 wrote its record pages (two rows
    // each, row and key), each shard's SQLite wrote rows, and the shards
    // were active for a while.
    const usage = body.cost?.usage;
    expect(usage?.requests).toBe(8);
    expect(usage?.d1_rows_written ?? 0).toBeGreaterThanOrEqual(2);
    expect(usage?.d1_bytes_written ?? 0).toBeGreaterThan(8 * 30);
    expect(usage?.do_rows_written ?? 0).toBeGreaterThanOrEqual(8);
    expect(usage?.do_active_s ?? 0).toBeGreaterThan(0);
    const lines = body.cost?.lines ?? [];
    expect(body.cost?.total_usd).toBeCloseTo(
      lines.reduce((sum, l) => sum + l.usd, 0),
      12,
    );
  });

  it('can be turned off', async () => {
    const id = await createRun(simRunConfig({ instrument_check: { requests: 0 } }));
    const end = await waitForEnd(id);
    expect(end.state).toBe('done');
    const body = await results<RunResults>(id);
    for (const region of Object.values(body.regions)) expect(region.instrument_check).toBeUndefined();
  });
});

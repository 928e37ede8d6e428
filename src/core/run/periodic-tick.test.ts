import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { msToNextTick } from './periodic-tick.ts';

describe('msToNextTick', () => {
  it('waits for the first tick, then keeps the cadence whatever the work took', () => {
    expect(msToNextTick(1_000, 1_000, 2_000, 1_000)).toBe(1_000);
    // A tick at 2,000 whose work ended at 2,013: the next is at 4,000, not 4,013.
    expect(msToNextTick(2_013, 0, 2_000)).toBe(1_987);
    // Exactly on a tick: the next one, never 0.
    expect(msToNextTick(4_000, 0, 2_000)).toBe(2_000);
    // Missed ticks are skipped.
    expect(msToNextTick(9_500, 0, 2_000)).toBe(500);
  });

  it('lands on origin + phase + k·period, strictly later, within one period', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 1e7 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        (origin, elapsed, period, phase) => {
          const now = origin + elapsed;
          const wait = msToNextTick(now, origin, period, phase);
          expect(wait).toBeGreaterThan(0);
          const at = now + wait;
          expect((at - origin - phase) % period).toBe(0);
          expect(at).toBeGreaterThanOrEqual(origin + phase);
          if (now >= origin + phase) expect(wait).toBeLessThanOrEqual(period);
        },
      ),
    );
  });

  it('rejects a period that is not positive', () => {
    expect(() => msToNextTick(0, 0, 0)).toThrow(RangeError);
  });
});

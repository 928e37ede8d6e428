import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OUTCOMES, type Outcome } from '../record/request-record.ts';
import {
  addProgress,
  allFailedReason,
  countOutcome,
  emptyProgress,
  type ShardProgress,
  shardProgressSchema,
} from './run-status.ts';

function progress(overrides: Partial<ShardProgress>): ShardProgress {
  return { ...emptyProgress(0), ...overrides };
}

const a = progress({
  scheduled: 10,
  dispatched: 7,
  in_flight: 2,
  done: 5,
  errors: 1,
  by_outcome: { ok: 4, timeout: 1 },
  chunks: 120,
  max_awaiting_headers: 6,
  dispatched_while_saturated: 3,
  max_schedule_lag_ms: 4.5,
  records_flushed: 5,
  d1_write_failures: 1,
  slices: 2,
});
const b = progress({
  scheduled: 20,
  dispatched: 11,
  in_flight: 3,
  done: 8,
  errors: 2,
  by_outcome: { ok: 6, rate_limited: 1, timeout: 1 },
  chunks: 300,
  max_awaiting_headers: 2,
  dispatched_while_saturated: 1,
  max_schedule_lag_ms: 12.25,
  records_flushed: 7,
  d1_write_failures: 0,
  slices: 1,
});

describe('emptyProgress', () => {
  it('is valid, all zero, and keeps the scheduled count it was given', () => {
    for (const scheduled of [null, 0, 42]) {
      const p = emptyProgress(scheduled);
      expect(shardProgressSchema.parse(p)).toEqual(p);
      expect(p.scheduled).toBe(scheduled);
      expect(p.done + p.dispatched + p.errors + p.chunks + p.in_flight).toBe(0);
      expect(p.by_outcome).toEqual({});
    }
  });

  it('returns a fresh object each time', () => {
    const first = emptyProgress(0);
    countOutcome(first, 'ok', 1, false);
    expect(emptyProgress(0).by_outcome).toEqual({});
  });
});

describe('addProgress', () => {
  it('sums counts and outcomes and keeps the maxima', () => {
    const sum = addProgress(addProgress(emptyProgress(0), a), b);
    expect(sum).toEqual({
      scheduled: 30,
      dispatched: 18,
      in_flight: 5,
      done: 13,
      warmup_done: 0,
      errors: 3,
      by_outcome: { ok: 10, timeout: 2, rate_limited: 1 },
      chunks: 420,
      max_awaiting_headers: 6,
      dispatched_while_saturated: 4,
      max_schedule_lag_ms: 12.25,
      records_flushed: 12,
      d1_write_failures: 1,
      slices: 3,
    });
    expect(shardProgressSchema.safeParse(sum).success).toBe(true);
  });

  it('adding to an empty progress gives the same progress, and leaves the added one untouched', () => {
    const before = structuredClone(a);
    const total = addProgress(emptyProgress(0), a);
    expect(total).toEqual(a);
    addProgress(total, b);
    expect(a).toEqual(before);
  });

  it('scheduled is null as soon as any part is null, whatever the order', () => {
    const unknown = progress({ scheduled: null, done: 1 });
    expect(addProgress(addProgress(emptyProgress(0), a), unknown).scheduled).toBeNull();
    expect(addProgress(addProgress(emptyProgress(0), unknown), a).scheduled).toBeNull();
    expect(addProgress(emptyProgress(null), a).scheduled).toBeNull();
    expect(addProgress(addProgress(emptyProgress(0), unknown), a).done).toBe(a.done + 1);
  });

  it('the total does not depend on the order of the parts', () => {
    const outcome = fc.constantFrom(...OUTCOMES);
    const part = fc.record({
      scheduled: fc.option(fc.nat(1000), { nil: null }),
      outcomes: fc.array(fc.tuple(outcome, fc.nat(50)), { maxLength: 10 }),
      lag: fc.double({ min: 0, max: 1000, noNaN: true }),
      awaiting: fc.nat(20),
    });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const shards = parts.map(({ scheduled, outcomes, lag, awaiting }) => {
          const p = emptyProgress(scheduled);
          for (const [o, chunks] of outcomes) countOutcome(p, o, chunks, false);
          p.max_schedule_lag_ms = lag;
          p.max_awaiting_headers = awaiting;
          return p;
        });
        const forward = shards.reduce((into, p) => addProgress(into, p), emptyProgress(0));
        const backward = [...shards].reverse().reduce((into, p) => addProgress(into, p), emptyProgress(0));
        expect(backward).toEqual(forward);
        expect(forward.done).toBe(parts.reduce((n, p) => n + p.outcomes.length, 0));
        expect(forward.max_schedule_lag_ms).toBe(Math.max(0, ...parts.map((p) => p.lag)));
        expect(forward.scheduled === null).toBe(parts.some((p) => p.scheduled === null));
      }),
      { numRuns: 100 },
    );
  });
});

describe('countOutcome', () => {
  it('counts ok without an error, and every other outcome as one', () => {
    const p = emptyProgress(5);
    countOutcome(p, 'ok', 10, false);
    expect(p).toMatchObject({ done: 1, errors: 0, chunks: 10, by_outcome: { ok: 1 } });
    for (const outcome of OUTCOMES.filter((o) => o !== 'ok')) {
      const before = p.errors;
      countOutcome(p, outcome, 0, false);
      expect(p.errors).toBe(before + 1);
      expect(p.by_outcome[outcome]).toBe(1);
    }
    expect(p.done).toBe(OUTCOMES.length);
    expect(p.scheduled).toBe(5);
    expect(p.dispatched).toBe(0); // counted at dispatch, not here
  });

  it('keeps errors = measured − ok and the outcomes summing to the measured (done − warm-up)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...OUTCOMES), fc.nat(100), fc.boolean())), (events) => {
        const p = emptyProgress(null);
        for (const [outcome, chunks, warmup] of events) countOutcome(p, outcome as Outcome, chunks, warmup);
        const counts = Object.values(p.by_outcome) as number[];
        const measured = p.done - p.warmup_done;
        expect(p.warmup_done).toBe(events.filter(([, , w]) => w).length);
        expect(counts.reduce((x, y) => x + y, 0)).toBe(measured);
        expect(p.errors).toBe(measured - (p.by_outcome.ok ?? 0));
        expect(p.chunks).toBe(events.reduce((n, [, c]) => n + c, 0));
        expect(shardProgressSchema.safeParse(p).success).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe('countOutcome: warm-up apart from measured requests', () => {
  it('counts a warm-up request as done and warm-up, never as an outcome or error', () => {
    const p = emptyProgress(20);
    for (let i = 0; i < 8; i++) countOutcome(p, 'ok', 3, true);
    for (let i = 0; i < 12; i++) countOutcome(p, 'ok', 3, false);
    countOutcome(p, 'timeout', 0, true);
    countOutcome(p, 'cancelled', 0, false);
    expect(p).toMatchObject({
      done: 22,
      warmup_done: 9,
      errors: 1,
      by_outcome: { ok: 12, cancelled: 1 },
      chunks: 60,
    });
  });
});

describe('allFailedReason', () => {
  it('names the count and the outcomes when every measured request failed', () => {
    expect(allFailedReason(progress({ by_outcome: { network_error: 5, timeout: 3 } }))).toBe(
      'all 8 measured requests failed: 5 network_error, 3 timeout',
    );
  });

  it('is null when one measured request succeeded, or none was measured (warm-up only)', () => {
    expect(allFailedReason(progress({ by_outcome: { network_error: 5, ok: 1 } }))).toBeNull();
    expect(allFailedReason(progress({ done: 4, warmup_done: 4, by_outcome: {} }))).toBeNull();
  });
});

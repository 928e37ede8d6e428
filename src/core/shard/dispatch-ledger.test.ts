import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DispatchCheckpoint,
  DispatchLedger,
  EMPTY_CHECKPOINT,
  RESERVE_AHEAD,
} from './dispatch-ledger.ts';
import type { InFlightRow } from './shard-record.ts';

const row = (pos: number): InFlightRow => ({
  pos,
  seq: pos * 3 + 1,
  id: `run-${pos * 3 + 1}`,
  scheduledAtMs: pos % 2 === 0 ? 1000 + pos : null,
  dispatchedAtMs: 2000 + pos,
  promptTokens: 10 + pos,
  warmup: pos < 2,
});

describe('DispatchLedger', () => {
  it('saves a reservation once per block of sends', () => {
    const ledger = new DispatchLedger(EMPTY_CHECKPOINT, 'run');
    const saves = Array.from({ length: 40 }, (_, pos) => ledger.dispatch(row(pos)));
    expect(saves.filter(Boolean)).toHaveLength(Math.ceil(40 / RESERVE_AHEAD));
    expect(saves[0]).toBe(true);
    expect(saves[RESERVE_AHEAD]).toBe(true);
    expect(ledger.next).toBe(40);
  });

  it('a stale finish (not open) is refused, so a position is recorded once', () => {
    const ledger = new DispatchLedger(EMPTY_CHECKPOINT, 'run');
    ledger.dispatch(row(0));
    expect(ledger.finish(0)).toBe(true);
    expect(ledger.finish(0)).toBe(false);
    expect(ledger.finish(7)).toBe(false);
  });

  it('a restart resumes at the checkpoint: its open sends are interrupted with their details', () => {
    const ledger = new DispatchLedger(EMPTY_CHECKPOINT, 'run');
    for (let pos = 0; pos < 5; pos++) ledger.dispatch(row(pos));
    ledger.finish(1);
    ledger.finish(3);
    const saved = JSON.parse(JSON.stringify(ledger.checkpoint())) as DispatchCheckpoint;
    // Sent after the checkpoint: repeated after the restart (the checkpoint's `dispatched`).
    ledger.dispatch(row(5));
    const resumed = new DispatchLedger(saved, 'run');
    expect(resumed.next).toBe(5);
    expect(resumed.interrupted()).toEqual([row(0), row(2), row(4)]);
    // Inside the saved reservation no write is needed; the interrupted ones close normally.
    expect(resumed.dispatch(row(5))).toBe(false);
    expect(resumed.finish(2)).toBe(true);
    expect(resumed.interrupted().map((r) => r.pos)).toEqual([0, 4, 5]);
  });

  it('every position below the resume point is either finished or interrupted (any order of finishes)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.nat(59), { maxLength: 60 }),
        (sent, finishes) => {
          const ledger = new DispatchLedger(EMPTY_CHECKPOINT, 'r');
          const finished = new Set<number>();
          for (let pos = 0; pos < sent; pos++) ledger.dispatch(row(pos));
          for (const pos of finishes) if (ledger.finish(pos)) finished.add(pos);
          const resumed = new DispatchLedger(ledger.checkpoint(), 'r');
          const lost = resumed.interrupted().map((r) => r.pos);
          expect(new Set([...finished, ...lost]).size).toBe(finished.size + lost.length);
          expect([...finished, ...lost].sort((a, b) => a - b)).toEqual(
            Array.from({ length: resumed.next }, (_, i) => i),
          );
        },
      ),
    );
  });
});

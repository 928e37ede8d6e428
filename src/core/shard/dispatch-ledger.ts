import { type InFlightRow, requestIdOf } from './shard-record.ts';

// Which of a shard's positions were sent, kept cheaply enough for storage billed per row written
// (docs/run-lifecycle.md#restarts). Saving a row per send cost a row written per request and held
// every send behind a storage write; instead the shard reserves positions RESERVE_AHEAD at a time
// (one write before the first send of each block) and saves a checkpoint — the sends still open
// and the first position not yet sent — with every batch of finished records.
//
// After a restart: positions below the checkpoint's `dispatched` were sent; those it lists as open
// lost their streams and are recorded as failed; positions from `dispatched` on are sent again.
// Of those, the ones sent after the last checkpoint (at most RESERVE_AHEAD, within about a second)
// may reach the target a second time. Each position still gets exactly one record.

/** Positions reserved per write: a write per 16 sends, and at most 16 sends repeated after a crash. */
export const RESERVE_AHEAD = 16;

/** An open send, compact: [pos, seq, prompt tokens, warm-up 0/1, dispatched at ms, scheduled at ms]. */
export type OpenEntry = [number, number, number, 0 | 1, number | null, number | null];

export interface DispatchCheckpoint {
  /** Positions below this were sent (or recorded). */
  dispatched: number;
  /** Positions below this may have been sent: no send at or beyond it without saving a new one. */
  reserved: number;
  /** Sends without a stored record at the checkpoint. */
  open: OpenEntry[];
}

export const EMPTY_CHECKPOINT: DispatchCheckpoint = { dispatched: 0, reserved: 0, open: [] };

export class DispatchLedger {
  private dispatchedUpTo: number;
  private reservedUpTo: number;
  private readonly open = new Map<number, InFlightRow>();

  /** A ledger resumed from a checkpoint: its open sends are interrupted (see `interrupted`). */
  constructor(checkpoint: DispatchCheckpoint, runId: string) {
    this.dispatchedUpTo = checkpoint.dispatched;
    this.reservedUpTo = checkpoint.reserved;
    for (const [pos, seq, promptTokens, warmup, dispatchedAtMs, scheduledAtMs] of checkpoint.open)
      this.open.set(pos, {
        pos,
        seq,
        id: requestIdOf(runId, seq),
        promptTokens,
        warmup: warmup === 1,
        dispatchedAtMs,
        scheduledAtMs,
      });
  }

  /** The next position to send. */
  get next(): number {
    return this.dispatchedUpTo;
  }

  /** Records a send; true when the reservation moved and must be saved before the send. */
  dispatch(row: InFlightRow): boolean {
    this.open.set(row.pos, row);
    this.dispatchedUpTo = Math.max(this.dispatchedUpTo, row.pos + 1);
    if (row.pos < this.reservedUpTo) return false;
    this.reservedUpTo = row.pos + RESERVE_AHEAD;
    return true;
  }

  /** Closes a send; false when it is not open (a stale stream of an interrupted slice: drop it). */
  finish(pos: number): boolean {
    return this.open.delete(pos);
  }

  /** The open sends, oldest first: after a restart, or a slice that failed, their streams are gone. */
  interrupted(): InFlightRow[] {
    return [...this.open.values()].sort((a, b) => a.pos - b.pos);
  }

  checkpoint(): DispatchCheckpoint {
    return {
      dispatched: this.dispatchedUpTo,
      reserved: this.reservedUpTo,
      open: [...this.open.values()].map((r) => [
        r.pos,
        r.seq,
        r.promptTokens,
        r.warmup ? 1 : 0,
        r.dispatchedAtMs,
        r.scheduledAtMs,
      ]),
    };
  }
}

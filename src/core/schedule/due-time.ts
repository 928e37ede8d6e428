import { Cron } from 'croner';

// The due-time rule of the scheduled handler (docs/schedules.md#due-times). Pure: `nowMs` is the
// cron tick's scheduledTime, never the clock.

/** Missed due times are counted one by one up to this many; beyond it the count says "at least". */
export const MAX_COUNTED_DUE_TIMES = 10_000;

export interface DueInput {
  cron: string;
  timezone: string;
  /** The last due time already handled; null for a schedule that never fired. */
  lastDueMs: number | null;
  /** When the schedule was created (or last re-timed): due times at or before it are not owed. */
  sinceMs: number;
  /** The tick's scheduled time. */
  nowMs: number;
}

export interface Due {
  /** The due time to start now: the latest one ≤ now and after the last handled. */
  dueMs: number;
  /** How many earlier due times (after the last handled) this start stands for and did not start. */
  coalesced: number;
  /** True when `coalesced` stopped counting at MAX_COUNTED_DUE_TIMES (it is a lower bound). */
  coalescedCapped: boolean;
}

/** The due time to start at `nowMs`, or null when nothing new is due. */
export function dueNow(input: DueInput): Due | null {
  const after = Math.max(input.lastDueMs ?? Number.NEGATIVE_INFINITY, input.sinceMs);
  if (!(input.nowMs > after)) return null;
  const cron = new Cron(input.cron, { timezone: input.timezone, paused: true });
  // previousRuns is strictly before its reference: +1 ms makes a due time equal to now count.
  const [latest] = cron.previousRuns(1, new Date(input.nowMs + 1));
  if (latest === undefined || latest.getTime() <= after) return null;
  const dueMs = latest.getTime();
  let coalesced = 0;
  let cursor = cron.nextRun(new Date(after));
  while (cursor !== null && cursor.getTime() < dueMs && coalesced < MAX_COUNTED_DUE_TIMES) {
    coalesced += 1;
    cursor = cron.nextRun(cursor);
  }
  const coalescedCapped = cursor !== null && cursor.getTime() < dueMs;
  return { dueMs, coalesced, coalescedCapped };
}

/** The first due time strictly after `afterMs`, or null when the expression never fires again. */
export function nextDueMs(cron: string, timezone: string, afterMs: number): number | null {
  const next = new Cron(cron, { timezone, paused: true }).nextRun(new Date(afterMs));
  return next === null ? null : next.getTime();
}

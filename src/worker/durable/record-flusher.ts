import { abortableSleep } from '../../core/run/abortable-sleep.ts';
import { msToNextTick } from '../../core/run/periodic-tick.ts';
import { emptyUsage, type ShardProgress } from '../../core/run/run-status.ts';
import type { InvocationBudget } from '../../core/shard/invocation-budget.ts';
import { PAGE_MAX_RECORDS } from '../../core/shard/record-batches.ts';
import { writeRecordPage } from '../storage/records-store.ts';
import type { ShardAssignment } from './run-protocol.ts';
import type { ShardStorage } from './shard-storage.ts';

/**
 * A page every 4 s while streams run: ~128 records a D1 row at 32 requests a second. Locally a D1
 * write holds the thread every shard shares for 6–13 ms (docs/timing.md), so every other
 * heartbeat rather than every one; the records are already safe in the shard's SQLite.
 */
const FLUSH_EVERY_MS = 4_000;
const FINAL_FLUSH_ATTEMPTS = 6;

/**
 * Moves a shard's stored batches to D1 as pages of consecutive batches (one D1 row each), away
 * from the read loop. A failed write is counted and retried; batches are marked flushed only after
 * D1 has the page, and a page rewritten after a crash holds the same first batch and possibly more
 * (writeRecordPage keeps the larger), so a crash between the two never duplicates or drops a record.
 */
export class RecordFlusher {
  private readonly store: ShardStorage;
  private readonly db: D1Database;
  private readonly assignment: ShardAssignment;
  private readonly progress: ShardProgress;
  private readonly budget: InvocationBudget;

  constructor(
    store: ShardStorage,
    db: D1Database,
    assignment: ShardAssignment,
    progress: ShardProgress,
    budget: InvocationBudget,
  ) {
    this.store = store;
    this.db = db;
    this.assignment = assignment;
    this.progress = progress;
    this.budget = budget;
  }

  /** D1 queries that writing `records` records takes at most (a page holds up to 512; batches can end one early). */
  static queriesFor(records: number): number {
    return Math.ceil((2 * records) / PAGE_MAX_RECORDS);
  }

  /** Writes the next page; false when there was nothing to write. */
  private async flushOnce(): Promise<boolean> {
    const page = this.store.unflushedPage();
    if (page === null) return false;
    this.budget.d1Queries++;
    this.budget.subrequests++;
    const usage = { rowsWritten: 0, bytes: 0 };
    await writeRecordPage(
      this.db,
      this.assignment.runId,
      { shard: this.assignment.index, page: page.firstBatch },
      page.records,
      usage,
    );
    this.progress.usage ??= emptyUsage();
    const u = this.progress.usage;
    u.d1_rows_written += usage.rowsWritten;
    u.d1_bytes_written += usage.bytes;
    this.progress.records_flushed += page.records.length;
    this.store.markFlushed(page.lastBatch);
    return true;
  }

  /**
   * Flushes every FLUSH_EVERY_MS until `ended` aborts; a failure is counted and retried on the next
   * round. On a fixed cadence, at origin + phase + k·FLUSH_EVERY_MS: the shard phases it half a
   * heartbeat after its beats, so the D1 write and the heartbeat never hold its thread together.
   */
  async loop(ended: AbortSignal, cadence: { originMs: number; phaseMs: number }): Promise<void> {
    while (!ended.aborted) {
      await abortableSleep(
        msToNextTick(Date.now(), cadence.originMs, FLUSH_EVERY_MS, cadence.phaseMs),
        ended,
      );
      try {
        while (!ended.aborted && (await this.flushOnce())) {}
      } catch (error) {
        this.progress.d1_write_failures++;
        console.warn(
          `shard ${this.assignment.runId}/${this.assignment.index}: D1 write failed, will retry: ${String(error)}`,
        );
      }
    }
  }

  /** Every record reaches D1 before the shard reports; after repeated failures the alarm retries. */
  async final(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        while (await this.flushOnce()) {}
        return;
      } catch (error) {
        this.progress.d1_write_failures++;
        this.store.set('progress', this.progress);
        if (attempt + 1 >= FINAL_FLUSH_ATTEMPTS) throw error;
        await abortableSleep(500 * 2 ** attempt);
      }
    }
  }
}

import { takePage } from '../../core/record/record-page-codec.ts';
import { abortableSleep } from '../../core/run/abortable-sleep.ts';
import { emptyUsage, type ShardProgress } from '../../core/run/run-status.ts';
import type { InvocationBudget } from '../../core/shard/invocation-budget.ts';
import { writeRecordPage } from '../storage/records-store.ts';
import type { ShardAssignment } from './run-protocol.ts';
import type { ShardStorage } from './shard-storage.ts';

/** Rows per D1 round (ShardStorage.unflushed reads at most 90 by key). */
const FLUSH_ROWS = 90;
const FLUSH_EVERY_MS = 1_000;
const FINAL_FLUSH_ATTEMPTS = 6;

/**
 * Moves a shard's finished records from its SQLite to D1 in batches, away from the read loop. A
 * failed write is counted and retried; rows are marked flushed only after D1 has them, and D1
 * ignores a row it already holds, so a crash between the two never duplicates a record.
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

  /** D1 queries writing `rows` records takes (one page per flush round of FLUSH_ROWS). */
  static queriesFor(rows: number): number {
    return Math.ceil(rows / FLUSH_ROWS);
  }

  private async flushOnce(): Promise<number> {
    const unflushed = this.store.unflushed(FLUSH_ROWS);
    if (unflushed.length === 0) return 0;
    const rows = unflushed.slice(0, takePage(unflushed));
    const queries = RecordFlusher.queriesFor(rows.length);
    this.budget.d1Queries += queries;
    this.budget.subrequests += queries;
    const usage = { rowsWritten: 0, bytes: 0 };
    // Interim (the flusher's rewrite keys pages by batch): one page per round, keyed by its first seq.
    await writeRecordPage(
      this.db,
      this.assignment.runId,
      { shard: this.assignment.index, page: rows[0]!.seq },
      rows,
      usage,
    );
    this.progress.usage ??= emptyUsage();
    const u = this.progress.usage;
    u.d1_rows_written += usage.rowsWritten;
    u.d1_bytes_written += usage.bytes;
    this.progress.records_flushed += rows.length;
    this.store.markFlushed(
      rows.map((r) => r.seq),
      this.progress,
    );
    return unflushed.length === FLUSH_ROWS ? FLUSH_ROWS : rows.length;
  }

  /** Flushes every second until `stopped`; a failure is counted and retried on the next round. */
  async loop(stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      await abortableSleep(FLUSH_EVERY_MS);
      try {
        while ((await this.flushOnce()) === FLUSH_ROWS && !stopped()) {}
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
        while ((await this.flushOnce()) > 0) {}
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

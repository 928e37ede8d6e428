import { sql } from 'drizzle-orm';
import { openDatabase } from './database.ts';

// Retention: raw request records of runs that finished before a cutoff are deleted in bounded
// batches, so one cron tick never runs a statement over the whole table or past D1's time limit:
// first the rows of the older one-row-per-request table, then the record pages (many records a
// row, up to 2 MB each, hence fewer a statement). The runs' rows (their results), profiles,
// searches and history are kept.

/** Rows of `requests` deleted per statement: small enough for one D1 query to stay well under its time limit. */
export const PRUNE_BATCH_ROWS = 1_000;
/** Pages deleted per statement: ~90 records each, typically ~60 KB (2 MB at most). */
export const PRUNE_BATCH_PAGES = 50;
/** Statements per tick: at most 20 × 50 pages (~90,000 records) a minute — far above any write rate here. */
export const PRUNE_MAX_BATCHES = 20;

export interface PruneResult {
  /** Rows deleted: pages (each many records) plus rows of the older table (one record each). */
  deleted: number;
  /** True when the tick stopped at its batch cap with rows perhaps still to delete (the next tick goes on). */
  more: boolean;
}

/** Deletes request records of runs finished before `cutoffMs`, in at most `maxBatches` statements. */
export async function pruneRecords(
  d1: D1Database,
  cutoffMs: number,
  options: { batchRows?: number; batchPages?: number; maxBatches?: number } = {},
): Promise<PruneResult> {
  const batchRows = options.batchRows ?? PRUNE_BATCH_ROWS;
  const batchPages = options.batchPages ?? PRUNE_BATCH_PAGES;
  const maxBatches = options.maxBatches ?? PRUNE_MAX_BATCHES;
  const db = openDatabase(d1);
  const tables = [
    {
      size: batchRows,
      statement: sql`
        DELETE FROM requests WHERE rowid IN (
          SELECT requests.rowid FROM requests JOIN runs ON runs.id = requests.run_id
          WHERE runs.finished_at_ms IS NOT NULL AND runs.finished_at_ms < ${cutoffMs}
          LIMIT ${batchRows}
        )`,
    },
    {
      size: batchPages,
      statement: sql`
        DELETE FROM request_pages WHERE rowid IN (
          SELECT request_pages.rowid FROM request_pages JOIN runs ON runs.id = request_pages.run_id
          WHERE runs.finished_at_ms IS NOT NULL AND runs.finished_at_ms < ${cutoffMs}
          LIMIT ${batchPages}
        )`,
    },
  ];
  let deleted = 0;
  let batches = 0;
  for (const { size, statement } of tables) {
    for (;;) {
      if (batches++ >= maxBatches) return { deleted, more: true };
      const changes = (await db.run(statement)).meta.changes ?? 0;
      deleted += changes;
      if (changes < size) break;
    }
  }
  return { deleted, more: false };
}

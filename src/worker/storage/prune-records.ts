import { sql } from 'drizzle-orm';
import { openDatabase } from './database.ts';

// Retention: raw request records of runs that finished before a cutoff are deleted in bounded
// batches, so one cron tick never runs a statement over the whole table or past D1's time limit.
// The runs' rows (their results), profiles, searches and history are kept.

/** Rows deleted per statement: small enough for one D1 query to stay well under its time limit. */
export const PRUNE_BATCH_ROWS = 1_000;
/** Statements per tick: at most 20,000 rows a minute, ~29M a day — far above any write rate here. */
export const PRUNE_MAX_BATCHES = 20;

export interface PruneResult {
  deleted: number;
  /** True when the tick stopped at its batch cap with rows still to delete (the next tick goes on). */
  more: boolean;
}

/** Deletes request records of runs finished before `cutoffMs`, at most `maxBatches × batchRows`. */
export async function pruneRecords(
  d1: D1Database,
  cutoffMs: number,
  options: { batchRows?: number; maxBatches?: number } = {},
): Promise<PruneResult> {
  const batchRows = options.batchRows ?? PRUNE_BATCH_ROWS;
  const maxBatches = options.maxBatches ?? PRUNE_MAX_BATCHES;
  const db = openDatabase(d1);
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const result = await db.run(sql`
      DELETE FROM requests WHERE rowid IN (
        SELECT requests.rowid FROM requests JOIN runs ON runs.id = requests.run_id
        WHERE runs.finished_at_ms IS NOT NULL AND runs.finished_at_ms < ${cutoffMs}
        LIMIT ${batchRows}
      )`);
    const changes = result.meta.changes ?? 0;
    deleted += changes;
    if (changes < batchRows) return { deleted, more: false };
  }
  return { deleted, more: true };
}

import type { DispatchCheckpoint, OpenEntry } from '../../core/shard/dispatch-ledger.ts';
import { BATCH_MAX_RECORDS } from '../../core/shard/record-batches.ts';

// Shards written by versions before 0.9 kept a row per finished record (`records`, with a
// `flushed` flag) and a row per send (`in_flight`, and the resume point in `meta.next_pos`). A
// shard that was running when such a version was replaced wakes up with those tables: they are
// converted once, in the constructor's transaction, so a deploy mid-run neither re-sends a
// request nor loses a record. A no-op (one catalogue read) for every shard created since.

export function convertLegacyTables(sql: SqlStorage): void {
  const tables = new Set(
    sql
      .exec<{ name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('records', 'in_flight')`,
      )
      .toArray()
      .map((t) => t.name),
  );
  if (tables.size === 0) return;
  if (tables.has('records')) {
    // Flushed records first, so that "in D1" stays a prefix of the batches; 64 to a batch.
    sql.exec(
      `INSERT INTO batches (n, records)
         SELECT COUNT(*), '[' || group_concat(record, ',') || ']' FROM (
           SELECT record, flushed, (ROW_NUMBER() OVER (PARTITION BY flushed ORDER BY seq) - 1) / CAST(? AS INTEGER) AS g
           FROM records ORDER BY flushed DESC, seq)
         GROUP BY flushed, g ORDER BY flushed DESC, g`,
      BATCH_MAX_RECORDS,
    );
    // The batches table was empty (ids from 1), and the flushed records filled the first ones.
    const flushed = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM records WHERE flushed = 1`).one().n;
    if (flushed > 0) setMeta(sql, 'flushed_through', Math.ceil(flushed / BATCH_MAX_RECORDS));
    sql.exec(`DROP TABLE records`);
  }
  const nextPos = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'next_pos'`).toArray()[0];
  let dispatched = nextPos ? Number(JSON.parse(nextPos.value)) : 0;
  const open: OpenEntry[] = [];
  if (tables.has('in_flight')) {
    for (const r of sql.exec<{
      pos: number;
      seq: number;
      scheduled_at_ms: number | null;
      dispatched_at_ms: number | null;
      prompt_tokens: number;
      warmup: number;
    }>(`SELECT * FROM in_flight ORDER BY pos`)) {
      open.push([
        r.pos,
        r.seq,
        r.prompt_tokens,
        r.warmup === 1 ? 1 : 0,
        r.dispatched_at_ms,
        r.scheduled_at_ms,
      ]);
      dispatched = Math.max(dispatched, r.pos + 1);
    }
    sql.exec(`DROP TABLE in_flight`);
  }
  setMeta(sql, 'dispatch', { dispatched, reserved: dispatched, open } satisfies DispatchCheckpoint);
  sql.exec(`DELETE FROM meta WHERE key = 'next_pos'`);
}

function setMeta(sql: SqlStorage, key: string, value: unknown): void {
  sql.exec(
    `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    key,
    JSON.stringify(value),
  );
}

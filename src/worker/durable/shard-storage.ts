import type { ShardProgress } from '../../core/run/run-status.ts';
import type { InstrumentSample } from '../../core/shard/instrument-check.ts';
import type { ShardStopReason } from '../../core/shard/shard-loop.ts';
import type { InFlightRow, ShardRecord } from '../../core/shard/shard-record.ts';
import type { ShardAssignment, ShardFinal } from './run-protocol.ts';

/** `running` → `finished` (reported, or reporting) → `released` (the run is finalised). */
export type ShardPhase = 'running' | 'finished' | 'released';

/** Every value a shard keeps in its `meta` table, by key: one typed map instead of loose strings. */
export interface ShardMeta {
  assignment: ShardAssignment;
  phase: ShardPhase;
  /** Set by cancel or release (or a heartbeat answer): no more sends. */
  cancelled: boolean;
  progress: ShardProgress;
  /** Why dispatching stopped for good (never `slice_end`): a retried alarm only finishes. */
  stop_kind: ShardStopReason;
  /** The stop reason as the run shows it. */
  stop: string;
  /** The summary reported to the coordinator (kept until it has it). */
  final: ShardFinal;
  colo: string | null;
  /** Requests of this shard's sequence dispatched so far (the resume point). */
  next_pos: number;
  /** Alarms that threw since the last one that did not. */
  failed_alarms: number;
  /** What the instrument check measured before the load started. */
  instrument_check: InstrumentSample;
}

/**
 * The shard's own SQLite: its assignment and progress, the requests in flight, and every finished
 * record until D1 has it. Writes are synchronous and local, so they cost microseconds and survive
 * a restart: a retried alarm resumes where the last one stopped, never sending a request twice.
 */
export class ShardStorage {
  private readonly sql: SqlStorage;
  private readonly storage: DurableObjectStorage;
  /** Rows written by this object's statements since the last `takeRowsWritten` (billed per row). */
  private rowsWritten = 0;
  /** Positions dispatched by this isolate (the resume point, saved with finished requests). */
  private dispatchedUpTo = 0;
  /** Sequence numbers of stored records D1 does not have yet; null until first needed. */
  private pending: Set<number> | null = null;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
    this.sql = storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS in_flight (pos INTEGER PRIMARY KEY, seq INTEGER NOT NULL, id TEXT NOT NULL,
        scheduled_at_ms REAL, dispatched_at_ms REAL, prompt_tokens INTEGER NOT NULL, warmup INTEGER NOT NULL)`,
    );
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY, record TEXT NOT NULL, flushed INTEGER NOT NULL DEFAULT 0)`,
    );
  }

  private write(query: string, ...params: SqlStorageValue[]): void {
    this.rowsWritten += this.sql.exec(query, ...params).rowsWritten;
  }

  /** Rows written since the last call (for the run's cost figures). */
  takeRowsWritten(): number {
    const n = this.rowsWritten;
    this.rowsWritten = 0;
    return n;
  }

  get<K extends keyof ShardMeta>(key: K): ShardMeta[K] | undefined {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key).toArray()[0];
    return row ? (JSON.parse(row.value) as ShardMeta[K]) : undefined;
  }

  set<K extends keyof ShardMeta>(key: K, value: ShardMeta[K]): void {
    // An upsert rewrites one row; INSERT OR REPLACE deletes and reinserts it and its key's index entry.
    this.write(
      `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      key,
      JSON.stringify(value),
    );
  }

  assignment(): ShardAssignment | undefined {
    return this.get('assignment');
  }

  /** Requests of this shard's sequence dispatched so far (the resume point). */
  nextPosition(): number {
    // `next_pos` is saved with each batch of finished requests; anything dispatched since then
    // still has its in-flight row (every request keeps one until the batch that finishes it).
    const inFlight = this.sql.exec<{ p: number | null }>(`SELECT MAX(pos) AS p FROM in_flight`).one().p;
    return Math.max(this.get('next_pos') ?? 0, inFlight === null ? 0 : inFlight + 1, this.dispatchedUpTo);
  }

  /** One write per dispatch (its in-flight row); the resume point is saved with finished requests. */
  markDispatched(row: InFlightRow): void {
    this.dispatchedUpTo = Math.max(this.dispatchedUpTo, row.pos + 1);
    this.storage.transactionSync(() => {
      this.write(
        `INSERT OR REPLACE INTO in_flight (pos, seq, id, scheduled_at_ms, dispatched_at_ms, prompt_tokens, warmup)
          VALUES (?, ?, ?, ?, ?, ?, ?)`,
        row.pos,
        row.seq,
        row.id,
        row.scheduledAtMs,
        row.dispatchedAtMs,
        row.promptTokens,
        row.warmup ? 1 : 0,
      );
    });
  }

  /** Stores a finished request, clears its in-flight mark and saves the counters, atomically. */
  complete(pos: number, record: ShardRecord, progress: ShardProgress): void {
    this.storage.transactionSync(() => {
      this.set('progress', progress);
      this.set('next_pos', Math.max(this.nextPosition(), pos + 1));
      this.write(
        `INSERT OR IGNORE INTO records (seq, record, flushed) VALUES (?, ?, 0)`,
        record.seq,
        JSON.stringify(record),
      );
      this.pending?.add(record.seq);
      this.write(`DELETE FROM in_flight WHERE pos = ?`, pos);
    });
  }

  /**
   * Stores finished requests, clears their in-flight marks and saves the counters, in one
   * transaction: the shard calls it once per timer turn for every request that ended in it.
   */
  completeAll(done: readonly { pos: number; record: ShardRecord }[], progress: ShardProgress): void {
    if (done.length === 0) return;
    this.storage.transactionSync(() => {
      this.set('progress', progress);
      this.set('next_pos', this.nextPosition());
      for (const { pos, record } of done) {
        this.write(
          `INSERT OR IGNORE INTO records (seq, record, flushed) VALUES (?, ?, 0)`,
          record.seq,
          JSON.stringify(record),
        );
        this.pending?.add(record.seq);
        this.write(`DELETE FROM in_flight WHERE pos = ?`, pos);
      }
    });
  }

  inFlight(): InFlightRow[] {
    return this.sql
      .exec<{
        pos: number;
        seq: number;
        id: string;
        scheduled_at_ms: number | null;
        dispatched_at_ms: number | null;
        prompt_tokens: number;
        warmup: number;
      }>(`SELECT * FROM in_flight ORDER BY pos`)
      .toArray()
      .map((r) => ({
        pos: r.pos,
        seq: r.seq,
        id: r.id,
        scheduledAtMs: r.scheduled_at_ms,
        dispatchedAtMs: r.dispatched_at_ms,
        promptTokens: r.prompt_tokens,
        warmup: r.warmup === 1,
      }));
  }

  /**
   * The oldest `limit` records D1 does not have yet. Their sequence numbers are kept in memory as
   * they finish, so a flush reads them by key instead of scanning every stored record (a scan per
   * flush grows with the run); after a restart the first call finds them with one scan.
   */
  unflushed(limit: number): ShardRecord[] {
    if (this.pending === null)
      this.pending = new Set(
        this.sql
          .exec<{ seq: number }>(`SELECT seq FROM records WHERE flushed = 0`)
          .toArray()
          .map((r) => r.seq),
      );
    // At most 90 keys: a statement binds at most 100 parameters.
    const seqs = [...this.pending].sort((a, b) => a - b).slice(0, Math.min(limit, 90));
    if (seqs.length === 0) return [];
    const rows = this.sql
      .exec<{ seq: number; record: string }>(
        `SELECT seq, record FROM records WHERE seq IN (${seqs.map(() => '?').join(',')}) AND flushed = 0 ORDER BY seq`,
        ...seqs,
      )
      .toArray();
    // A key whose row is not there (a write that was rolled back, already flushed) is forgotten.
    if (rows.length < seqs.length) {
      const found = new Set(rows.map((r) => r.seq));
      for (const seq of seqs) if (!found.has(seq)) this.pending.delete(seq);
    }
    return rows.map((r) => JSON.parse(r.record) as ShardRecord);
  }

  markFlushed(seqs: readonly number[], progress: ShardProgress): void {
    this.storage.transactionSync(() => {
      this.set('progress', progress);
      for (const seq of seqs) {
        this.write(`UPDATE records SET flushed = 1 WHERE seq = ?`, seq);
        this.pending?.delete(seq);
      }
    });
  }

  unflushedCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM records WHERE flushed = 0`).one().n;
  }

  dropRecords(): void {
    this.write(`DELETE FROM records`);
    this.pending = new Set();
    this.write(`DELETE FROM in_flight`);
  }

  /** Every finished record, in sequence order, for the shard's summary. */
  *records(): Generator<ShardRecord> {
    for (const row of this.sql.exec<{ record: string }>(`SELECT record FROM records ORDER BY seq`))
      yield JSON.parse(row.record) as ShardRecord;
  }
}

import { takePage } from '../../core/record/record-page-codec.ts';
import type { ShardProgress } from '../../core/run/run-status.ts';
import {
  type DispatchCheckpoint,
  DispatchLedger,
  EMPTY_CHECKPOINT,
} from '../../core/shard/dispatch-ledger.ts';
import type { InstrumentSample } from '../../core/shard/instrument-check.ts';
import { batchesInPage, packBatches } from '../../core/shard/record-batches.ts';
import type { ShardStopReason } from '../../core/shard/shard-loop.ts';
import type { InFlightRow, ShardRecord } from '../../core/shard/shard-record.ts';
import { convertLegacyTables } from './legacy-shard-tables.ts';
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
  /** Which positions were sent (docs/run-lifecycle.md#restarts). */
  dispatch: DispatchCheckpoint;
  /** Batches up to this id are in D1. */
  flushed_through: number;
  /** Alarms that threw since the last one that did not. */
  failed_alarms: number;
  /** What the instrument check measured before the load started. */
  instrument_check: InstrumentSample;
}

/**
 * The shard's own SQLite: its assignment and progress, which positions were sent, and every
 * finished record until the run is released. Rows written are billed, so finished records are
 * stored in batches (one row per batch, at most one batch a second while streams run) and sends
 * are reserved in blocks (dispatch-ledger.ts): well under one row written per request. Writes are
 * synchronous and local and survive a restart; a retried alarm resumes from them.
 */
export class ShardStorage {
  private readonly sql: SqlStorage;
  private readonly storage: DurableObjectStorage;
  /** Rows written by this object's statements since the last `takeRowsWritten` (billed per row). */
  private rowsWritten = 0;
  /** Which positions were sent; loaded from the checkpoint on first use (null until then). */
  private ledgerState: DispatchLedger | null = null;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
    this.sql = storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, records TEXT NOT NULL)`,
    );
    // A shard that was running when a version with one row per request was replaced by this one.
    storage.transactionSync(() => convertLegacyTables(this.sql));
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

  private get ledger(): DispatchLedger {
    this.ledgerState ??= new DispatchLedger(
      this.get('dispatch') ?? EMPTY_CHECKPOINT,
      this.assignment()?.runId ?? '',
    );
    return this.ledgerState;
  }

  /** The next position of this shard's sequence to send (the resume point). */
  nextPosition(): number {
    return this.ledger.next;
  }

  /**
   * Notes a send (already counted in `progress`); before the first send of each block saves the
   * new reservation with the counters (two rows), which the send then waits for.
   */
  markDispatched(row: InFlightRow, progress: ShardProgress): void {
    if (!this.ledger.dispatch(row)) return;
    this.storage.transactionSync(() => {
      this.set('progress', progress);
      this.set('dispatch', this.ledger.checkpoint());
    });
  }

  /**
   * Sends whose streams are gone: those open when the isolate died (from the checkpoint), or when
   * a slice of this isolate failed. The caller stores a failed record for each with `completeAll`.
   */
  interrupted(): InFlightRow[] {
    return this.ledger.interrupted();
  }

  /**
   * Stores finished requests in batch rows with the counters and the checkpoint, in one
   * transaction: the only place the counters are saved while streams run (and with a
   * reservation), so what a restart reads counts exactly the stored records and open sends. A
   * request that is not open (a stale stream of an interrupted slice, already recorded as lost) is
   * dropped, so every position has one record.
   */
  completeAll(done: readonly { pos: number; record: ShardRecord }[], progress: ShardProgress): void {
    const records = done.filter((d) => this.ledger.finish(d.pos)).map((d) => d.record);
    this.storage.transactionSync(() => {
      for (const batch of packBatches(records))
        this.write(`INSERT INTO batches (n, records) VALUES (?, ?)`, batch.n, batch.json);
      this.set('progress', progress);
      this.set('dispatch', this.ledger.checkpoint());
    });
  }

  /**
   * The next page for D1: the oldest batches not in D1 yet, as many as batchesInPage takes (whole
   * batches, so a retried page starts at the same batch). Null when every batch is in D1.
   */
  unflushedPage(): { firstBatch: number; lastBatch: number; records: ShardRecord[] } | null {
    const after = this.get('flushed_through') ?? 0;
    // Sizes first (no JSON read), then only the batches that form the page.
    const sizes = this.sql
      .exec<{ id: number; n: number; chars: number }>(
        `SELECT id, n, length(records) AS chars FROM batches WHERE id > ? ORDER BY id LIMIT 512`,
        after,
      )
      .toArray();
    let taken = batchesInPage(sizes);
    if (taken === 0) return null;
    const firstBatch = sizes[0]!.id;
    // Each batch read and parsed once; a page that must shrink drops whole batches from its end.
    const batches: ShardRecord[][] = [];
    for (const row of this.sql.exec<{ records: string }>(
      `SELECT records FROM batches WHERE id BETWEEN ? AND ? ORDER BY id`,
      firstBatch,
      sizes[taken - 1]!.id,
    ))
      batches.push(JSON.parse(row.records) as ShardRecord[]);
    for (;;) {
      const records = batches.slice(0, taken).flat();
      // The JSON caps keep a page's encoding far below D1's row limit; should a page of unusual
      // records not fit, it holds fewer whole batches (still a function of the batches alone).
      if (taken === 1 || takePage(records) === records.length)
        return { firstBatch, lastBatch: sizes[taken - 1]!.id, records };
      taken--;
    }
  }

  /**
   * D1 has every batch up to `lastBatch`: one row. The counters are saved with the next batch (they
   * count records still waiting in memory; see completeAll); flushedRecords recounts after a restart.
   */
  markFlushed(lastBatch: number): void {
    this.set('flushed_through', lastBatch);
  }

  /** Records in the batches D1 has. */
  flushedRecords(): number {
    return (
      this.sql
        .exec<{ n: number | null }>(
          `SELECT SUM(n) AS n FROM batches WHERE id <= ?`,
          this.get('flushed_through') ?? 0,
        )
        .one().n ?? 0
    );
  }

  /** The run is finalised: the records live in D1 now (a row written per batch deleted). */
  dropRecords(): void {
    this.write(`DELETE FROM batches`);
  }

  /** Every finished record, in the order stored, for the shard's summary. */
  *records(): Generator<ShardRecord> {
    for (const row of this.sql.exec<{ records: string }>(`SELECT records FROM batches ORDER BY id`))
      yield* JSON.parse(row.records) as ShardRecord[];
  }
}

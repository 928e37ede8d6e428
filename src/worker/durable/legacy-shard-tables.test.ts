import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { BATCH_MAX_RECORDS } from '../../core/shard/record-batches.ts';
import type { ShardRecord } from '../../core/shard/shard-record.ts';
import { shardStub } from './run-protocol.ts';
import { ShardStorage } from './shard-storage.ts';

const record = (seq: number): ShardRecord => ({
  id: `old-run-${seq}`,
  region: 'wnam',
  sent_at_ms: 1_000 + seq,
  prompt_tokens: 8,
  output_tokens: 2,
  chunks: [
    [10, 1],
    [30, 1],
  ],
  token_count_source: 'usage_stream',
  outcome: 'ok',
  shard: 0,
  seq,
  warmup: false,
});

describe('a shard stored by the one-row-per-request version', () => {
  it('is converted once: no record lost or repeated, flushed ones stay flushed, sends in flight are interrupted', async () => {
    await runInDurableObject(shardStub(env, `legacy-${Date.now()}`, 0), (_instance, state) => {
      const sql = state.storage.sql;
      // The old tables, as that version created them, after 150 finished requests (100 in D1)
      // with two sends in flight and the resume point saved at 152.
      sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      sql.exec(
        `CREATE TABLE in_flight (pos INTEGER PRIMARY KEY, seq INTEGER NOT NULL, id TEXT NOT NULL,
          scheduled_at_ms REAL, dispatched_at_ms REAL, prompt_tokens INTEGER NOT NULL, warmup INTEGER NOT NULL)`,
      );
      sql.exec(
        `CREATE TABLE records (seq INTEGER PRIMARY KEY, record TEXT NOT NULL, flushed INTEGER NOT NULL DEFAULT 0)`,
      );
      for (let seq = 0; seq < 150; seq++)
        sql.exec(`INSERT INTO records VALUES (?, ?, ?)`, seq, JSON.stringify(record(seq)), seq < 100 ? 1 : 0);
      sql.exec(`INSERT INTO in_flight VALUES (150, 150, 'old-run-150', NULL, 5000, 8, 0)`);
      sql.exec(`INSERT INTO in_flight VALUES (151, 151, 'old-run-151', 4900, 5001, 8, 1)`);
      sql.exec(`INSERT INTO meta VALUES ('next_pos', '152')`);
      sql.exec(`INSERT INTO meta VALUES ('assignment', ?)`, JSON.stringify({ runId: 'old-run', index: 0 }));

      const store = new ShardStorage(state.storage);
      expect([...store.records()].map((r) => r.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i));
      // Only the 50 unflushed records are still to go to D1.
      const page = store.unflushedPage();
      expect(page?.records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
      expect(page?.firstBatch).toBe(Math.ceil(100 / BATCH_MAX_RECORDS) + 1);
      expect(store.nextPosition()).toBe(152);
      expect(store.interrupted()).toEqual([
        {
          pos: 150,
          seq: 150,
          id: 'old-run-150',
          promptTokens: 8,
          warmup: false,
          dispatchedAtMs: 5000,
          scheduledAtMs: null,
        },
        {
          pos: 151,
          seq: 151,
          id: 'old-run-151',
          promptTokens: 8,
          warmup: true,
          dispatchedAtMs: 5001,
          scheduledAtMs: 4900,
        },
      ]);
      const tables = sql
        .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
        .toArray()
        .map((t) => t.name);
      expect(tables).not.toContain('records');
      expect(tables).not.toContain('in_flight');
      // A second construction (the next wake-up) changes nothing.
      const again = new ShardStorage(state.storage);
      expect([...again.records()]).toHaveLength(150);
      expect(again.nextPosition()).toBe(152);
    });
  });
});

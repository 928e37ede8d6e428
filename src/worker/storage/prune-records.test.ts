// Retention against a real local D1 in workerd: only records of runs finished before the cutoff go
// (pages, and rows of the older one-row-per-request table), in bounded batches, and the runs'
// results stay. Also measures what one stored record costs.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { takePage } from '../../core/record/record-page-codec.ts';
import { cronTick } from '../cron/cron-tick.ts';
import { openDatabase } from './database.ts';
import { pruneRecords } from './prune-records.ts';
import { countRequests, type StoredRequest, writeRecordPage } from './records-store.ts';
import { createRun, getRun, updateRun } from './runs-store.ts';
import { requests } from './schema.ts';

const DAY_MS = 86_400_000;

/** A realistic record: `tokens` output tokens, one per read, ~20 ms apart (workerd's whole-ms clock). */
function record(runId: string, seq: number, tokens: number): StoredRequest {
  const chunks: [number, number][] = [];
  for (let i = 0; i < tokens; i++) chunks.push([180 + i * 20 + (i % 3), 1]);
  return {
    id: `${runId}-${seq}`,
    region: 'wnam',
    scheduled_at_ms: 1_700_000_000_000 + seq * 50,
    sent_at_ms: 1_700_000_000_000 + seq * 50 + 1,
    headers_ms: 120,
    prompt_tokens: 512,
    output_tokens: tokens,
    chunks,
    token_count_source: 'usage_stream',
    outcome: 'ok',
    shard: 0,
    seq,
    warmup: false,
  };
}

/** Stores records as a flush does: pages of up to `perPage`, split further by takePage. */
async function storePages(runId: string, records: StoredRequest[], perPage: number): Promise<number> {
  let pages = 0;
  for (let at = 0; at < records.length; pages++) {
    const batch = records.slice(at, at + perPage);
    const n = takePage(batch);
    await writeRecordPage(env.DB, runId, { shard: 0, page: at }, batch.slice(0, n));
    at += n;
  }
  return pages;
}

/** A run, finished at `finishedAtMs` (null: still going), with `records` records in pages of 5. */
async function finishedRun(id: string, finishedAtMs: number | null, records: number): Promise<void> {
  await createRun(env.DB, { id, createdAtMs: 0, configJson: '{}', state: 'queued' });
  await updateRun(env.DB, id, {
    state: finishedAtMs === null ? 'running' : 'done',
    finishedAtMs,
    resultsJson: finishedAtMs === null ? null : '{"kept":true}',
  });
  await storePages(
    id,
    Array.from({ length: records }, (_, i) => record(id, i, 8)),
    5,
  );
}

/** Rows of the older one-row-per-request table, as runs stored before pages have them. */
async function legacyRows(runId: string, n: number): Promise<void> {
  const values = Array.from({ length: n }, (_, seq) => ({
    runId,
    id: `${runId}-${seq}`,
    shard: 0,
    seq,
    sentAtMs: seq,
    promptTokens: 1,
    outputTokens: 0,
    chunks: new Uint8Array([1, 0, 0]),
    tokenCountSource: 'events' as const,
    outcome: 'ok' as const,
  }));
  for (let i = 0; i < n; i += 5)
    await openDatabase(env.DB)
      .insert(requests)
      .values(values.slice(i, i + 5));
}

describe('pruneRecords', () => {
  it('deletes only records of runs finished before the cutoff, pages and older rows, in bounded batches, keeping results', async () => {
    const now = 100 * DAY_MS;
    await finishedRun('run-old-a', now - 40 * DAY_MS, 25); // 5 pages
    await finishedRun('run-old-b', now - 31 * DAY_MS, 5); // 1 page
    await legacyRows('run-old-b', 12); // and 12 rows of the older table
    await finishedRun('run-recent', now - 29 * DAY_MS, 7);
    await legacyRows('run-recent', 3);
    await finishedRun('run-going', null, 3);
    const cutoff = now - 30 * DAY_MS;

    // 12 old rows, 5 a statement (5, 5, 2), then 6 old pages, 4 a statement (4, 2); 2 statements a tick.
    const tick = () => pruneRecords(env.DB, cutoff, { batchRows: 5, batchPages: 4, maxBatches: 2 });
    expect(await tick()).toEqual({ deleted: 10, more: true });
    expect(await tick()).toEqual({ deleted: 2 + 4, more: true });
    expect(await tick()).toEqual({ deleted: 2, more: false });
    expect(await tick()).toEqual({ deleted: 0, more: false });

    expect((await countRequests(env.DB, 'run-old-a')).total).toBe(0);
    expect((await countRequests(env.DB, 'run-old-b')).total).toBe(0);
    expect((await countRequests(env.DB, 'run-recent')).total).toBe(10);
    expect((await countRequests(env.DB, 'run-going')).total).toBe(3);
    expect((await getRun(env.DB, 'run-old-a'))?.resultsJson).toBe('{"kept":true}');
  });

  it('runs on every cron tick with RETENTION_DAYS (default 30)', async () => {
    const now = 1_000 * DAY_MS;
    await finishedRun('run-cron-old', now - 31 * DAY_MS, 4);
    await finishedRun('run-cron-new', now - 29 * DAY_MS, 4);
    await cronTick(env, now);
    expect((await countRequests(env.DB, 'run-cron-old')).total).toBe(0);
    expect((await countRequests(env.DB, 'run-cron-new')).total).toBe(4);
  });

  it('measures the bytes a stored record takes in D1', async () => {
    const sizeOf = async () => Number((await env.DB.prepare('SELECT 1').run()).meta.size_after);
    const before = await sizeOf();
    const records = 2_000;
    const tokens = 256;
    await createRun(env.DB, { id: 'run-size', createdAtMs: 0, configJson: '{}', state: 'queued' });
    const pages = await storePages(
      'run-size',
      Array.from({ length: records }, (_, i) => record('run-size', i, tokens)),
      90,
    );
    expect(pages).toBe(Math.ceil(records / 90));
    const bytesPerRecord = ((await sizeOf()) - before) / records;
    console.log(
      `D1: ${bytesPerRecord.toFixed(0)} bytes per stored record (${tokens} output tokens, one a read)`,
    );
    // The chunk timeline is ~2 bytes a token; the other fields ~120 bytes, the page's key shared.
    expect(bytesPerRecord).toBeGreaterThan(tokens * 2);
    expect(bytesPerRecord).toBeLessThan(tokens * 2 + 300);
  });
});

// Retention against a real local D1 in workerd: only records of runs finished before the cutoff go,
// in bounded batches, and the runs' results stay. Also measures what one stored record costs.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { cronTick } from '../cron/cron-tick.ts';
import { pruneRecords } from './prune-records.ts';
import { countRequests, insertRequests, type StoredRequest } from './records-store.ts';
import { createRun, getRun, updateRun } from './runs-store.ts';

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

async function finishedRun(id: string, finishedAtMs: number | null, records: number): Promise<void> {
  await createRun(env.DB, { id, createdAtMs: 0, configJson: '{}', state: 'queued' });
  await updateRun(env.DB, id, {
    state: finishedAtMs === null ? 'running' : 'done',
    finishedAtMs,
    resultsJson: finishedAtMs === null ? null : '{"kept":true}',
  });
  await insertRequests(
    env.DB,
    id,
    Array.from({ length: records }, (_, i) => record(id, i, 8)),
  );
}

describe('pruneRecords', () => {
  it('deletes only records of runs finished before the cutoff, in bounded batches, keeping results', async () => {
    const now = 100 * DAY_MS;
    await finishedRun('run-old-a', now - 40 * DAY_MS, 25);
    await finishedRun('run-old-b', now - 31 * DAY_MS, 5);
    await finishedRun('run-recent', now - 29 * DAY_MS, 7);
    await finishedRun('run-going', null, 3);
    const cutoff = now - 30 * DAY_MS;

    // 30 old rows, 10 a statement, 2 statements a tick: the first tick stops with more to do.
    expect(await pruneRecords(env.DB, cutoff, { batchRows: 10, maxBatches: 2 })).toEqual({
      deleted: 20,
      more: true,
    });
    expect(await pruneRecords(env.DB, cutoff, { batchRows: 10, maxBatches: 2 })).toEqual({
      deleted: 10,
      more: false,
    });
    expect(await pruneRecords(env.DB, cutoff, { batchRows: 10, maxBatches: 2 })).toEqual({
      deleted: 0,
      more: false,
    });

    expect((await countRequests(env.DB, 'run-old-a')).total).toBe(0);
    expect((await countRequests(env.DB, 'run-old-b')).total).toBe(0);
    expect((await countRequests(env.DB, 'run-recent')).total).toBe(7);
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
    await insertRequests(
      env.DB,
      'run-size',
      Array.from({ length: records }, (_, i) => record('run-size', i, tokens)),
    );
    const bytesPerRecord = ((await sizeOf()) - before) / records;
    console.log(
      `D1: ${bytesPerRecord.toFixed(0)} bytes per stored record (${tokens} output tokens, one a read)`,
    );
    // The chunk timeline is ~2 bytes a token; the other columns and the key ~150 bytes.
    expect(bytesPerRecord).toBeGreaterThan(tokens * 2);
    expect(bytesPerRecord).toBeLessThan(tokens * 2 + 600);
  });
});

import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { shardStub } from '../../src/worker/durable/run-protocol.ts';
import {
  call,
  createRun,
  exportRecords,
  results,
  simRunConfig,
  waitForEnd,
  waitForStatus,
} from './run-kit.ts';

// vitest.config.ts sets TEST_SHARD_THROW = 'poisoned-shard/1': shard 1 of a run by that name
// throws at the start of every alarm, as a bug or a poisoned request would.
describe('a shard whose alarm keeps throwing', () => {
  it('fails the run with the error after a bounded number of retries; the other shard’s results are kept', async () => {
    const startedAt = Date.now();
    const id = await createRun(
      simRunConfig(
        {
          name: 'poisoned-shard',
          workload: {
            arrivals: { type: 'concurrency', n: 2 },
            lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 20 },
            duration_s: 60,
          },
        },
        { decode_ms_per_token: 10 },
      ),
    );
    const end = await waitForEnd(id, 15_000);
    // Four alarms with 0.5 + 1 + 2 s of backoff, then the other shard drains: well within 15 s.
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(end.state, JSON.stringify(end)).toBe('failed');
    expect(end.reason).toMatch(/^shard 1 \(weur\) failed 4 times in a row: Error: TEST_SHARD_THROW/);
    expect(end.shards.map((s) => s.state)).toEqual(['finished', 'failed']);
    expect(end.shards[1]?.stop_reason).toBe(end.reason);

    // Shard 0 was stopped, not lost: its requests are stored and in the results.
    const records = await exportRecords(id);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.region === 'wnam')).toBe(true);
    const stored = await results<{ state: string; reason: string; summary: { requests: number } }>(id);
    expect(stored.state).toBe('failed');
    expect(stored.reason).toBe(end.reason);
    expect(stored.summary.requests).toBe(records.length);
    expect((await call(`/v1/runs/${id}/cancel`, { method: 'POST' })).status).toBe(409);
  });
});

describe('a poisoned request', () => {
  it('a request whose prompt cannot be built fails the run with the error, the rest of the run kept', async () => {
    const id = await createRun(
      simRunConfig({
        workload: {
          arrivals: { type: 'concurrency', n: 2 },
          lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 3 },
          requests: 60,
        },
        regions: [{ location: 'oc', share: 1 }],
      }),
    );
    await waitForStatus(id, (s) => (s.shards[0]?.progress.done ?? 0) > 0, 5_000, 10);
    // From the next slice on, every request asks for a prompt no runtime can build (the shape of
    // finding 2, which the config schema now refuses up front).
    await runInDurableObject(shardStub(env, id, 0), (_instance, state) => {
      const row = state.storage.sql
        .exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'assignment'`)
        .one();
      const assignment = JSON.parse(row.value) as { config: { workload: { lengths: unknown } } };
      assignment.config.workload.lengths = { type: 'fixed', prompt_tokens: 2 ** 53 - 1, output_tokens: 3 };
      state.storage.sql.exec(
        `UPDATE meta SET value = ? WHERE key = 'assignment'`,
        JSON.stringify(assignment),
      );
    });
    const end = await waitForEnd(id, 20_000);
    expect(end.state, JSON.stringify(end)).toBe('failed');
    expect(end.reason).toMatch(/^shard 0 \(oc\) failed 4 times in a row: RangeError: /);
    const records = await exportRecords(id);
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(60);
    const ids = records.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const stored = await results<{ summary: { requests: number } }>(id);
    expect(stored.summary.requests).toBe(records.length);
  });
});

import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/core/metrics/analysis.ts';
import { requestRecordSchema } from '../../src/core/record/request-record.ts';
import { coordinatorStub, shardStub } from '../../src/worker/durable/run-protocol.ts';
import { call, createRun, exportRecords, simRunConfig, waitForEnd, waitForStatus } from './run-kit.ts';

describe('a run end to end inside workerd (coordinator, shards, D1, loopback target)', () => {
  it('records every request exactly once, and /results equals analysing the export', async () => {
    const id = await createRun(simRunConfig());
    const end = await waitForEnd(id);
    expect(end.state, JSON.stringify(end)).toBe('done');
    expect(end.shards).toHaveLength(2);
    expect(Object.keys(end.regions).sort()).toEqual(['weur', 'wnam']);

    const records = await exportRecords(id, 3);
    expect(records.map((r) => r.id).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `${id}-${i}`).sort());
    for (const r of records) {
      expect(requestRecordSchema.safeParse(r).success).toBe(true);
      expect(r.outcome).toBe('ok');
      expect(r.output_tokens).toBe(6);
      expect(r.token_count_source).toBe('usage_stream');
      expect(r.scheduled_at_ms).toBeTypeOf('number');
    }

    const results = (await (await call(`/v1/runs/${id}/results`)).json()) as {
      state: string;
      summary: unknown;
      load: { requests_sent: number };
    };
    expect(results.state).toBe('done');
    expect(results.load.requests_sent).toBe(8);
    const analyzer = new Analyzer({
      deadlines: { ttft_deadline_s: 0.3, tbt_deadline_s: 0.05, target_miss_rate: 0.1, ttft_slack_s: 0.3 },
    });
    for (const r of records) analyzer.add(r);
    expect(results.summary).toEqual(JSON.parse(JSON.stringify(analyzer.report().summary)));
  });

  it('turns target failures into typed outcomes; a run where every measured request failed ends failed', async () => {
    const id = await createRun(simRunConfig({}, { errors: { http_rate: 1, http_statuses: [503] } }));
    const end = await waitForEnd(id);
    expect(end.state).toBe('failed');
    expect(end.reason).toBe('all 8 measured requests failed: 8 http_error');
    const records = await exportRecords(id);
    expect(records).toHaveLength(8);
    expect(new Set(records.map((r) => `${r.outcome}:${r.status}`))).toEqual(new Set(['http_error:503']));
    const stored = (await (await call(`/v1/runs/${id}/results`)).json()) as { state: string; reason: string };
    expect(stored).toMatchObject({ state: 'failed', reason: 'all 8 measured requests failed: 8 http_error' });

    const unreachable = simRunConfig();
    unreachable.target.base_url = 'http://127.0.0.1:9/v1';
    const down = await createRun(unreachable);
    const downEnd = await waitForEnd(down);
    expect(downEnd.state).toBe('failed');
    expect(downEnd.reason).toBe('all 8 measured requests failed: 8 network_error');
    const failed = await exportRecords(down);
    expect(failed).toHaveLength(8);
    expect(new Set(failed.map((r) => r.outcome))).toEqual(new Set(['network_error']));
  });

  it('stays done when only some measured requests fail: the error rate shows them', async () => {
    const workload = {
      arrivals: { type: 'constant', qps: 80 },
      lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 4 },
      requests: 16,
      seed: 3,
    };
    const id = await createRun(
      simRunConfig({ workload }, { errors: { http_rate: 0.5, http_statuses: [503] } }),
    );
    const end = await waitForEnd(id);
    const outcomes = Object.values(end.regions).reduce(
      (n, r) => ({ ok: n.ok + (r.by_outcome.ok ?? 0), errors: n.errors + r.errors }),
      { ok: 0, errors: 0 },
    );
    // Seeded: the simulator fails some and serves the others.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.errors).toBeGreaterThan(0);
    expect(end.state).toBe('done');
  });

  it('cancels a running run: in-flight requests end as cancelled, and cancel again is a 409', async () => {
    const id = await createRun(
      simRunConfig(
        {
          workload: {
            arrivals: { type: 'concurrency', n: 4 },
            lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 400 },
            duration_s: 60,
          },
        },
        { decode_ms_per_token: 20 },
      ),
    );
    await waitForStatus(id, (s) => s.shards.some((shard) => shard.progress.dispatched > 0), 5_000);
    const res = await call(`/v1/runs/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(202);
    const end = await waitForEnd(id);
    expect(end.state).toBe('cancelled');
    expect(end.reason).toBe('cancelled by user');
    const records = await exportRecords(id);
    expect(records.length).toBeGreaterThanOrEqual(4);
    expect(records.filter((r) => r.outcome === 'cancelled').length).toBeGreaterThanOrEqual(1);
    expect((await call(`/v1/runs/${id}/cancel`, { method: 'POST' })).status).toBe(409);
    const results = (await (await call(`/v1/runs/${id}/results`)).json()) as { state: string };
    expect(results.state).toBe('cancelled');
  });

  it('stops cleanly at a runtime limit and says which', async () => {
    const id = await createRun(
      simRunConfig({
        workload: {
          arrivals: { type: 'concurrency', n: 2 },
          lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 4 },
          duration_s: 60,
        },
        regions: [{ location: 'enam', share: 1 }],
        limits: { max_requests: 5 },
      }),
    );
    const end = await waitForEnd(id);
    expect(end.state).toBe('done');
    expect(end.reason).toBe('limit: limits.max_requests (5) reached');
    expect(await exportRecords(id)).toHaveLength(5);
  });

  it('is idempotent under alarm retries after the end: nothing re-sent, results unchanged', async () => {
    const id = await createRun(simRunConfig());
    await waitForEnd(id);
    const before = await (await call(`/v1/runs/${id}/results`)).text();
    const coordinator = coordinatorStub(env, id);
    await runInDurableObject(coordinator, (_instance, state) => state.storage.setAlarm(Date.now() + 60_000));
    await runDurableObjectAlarm(coordinator);
    for (const index of [0, 1]) {
      const shard = shardStub(env, id, index);
      await runInDurableObject(shard, (_instance, state) => state.storage.setAlarm(Date.now() + 60_000));
      await runDurableObjectAlarm(shard);
    }
    expect(await (await call(`/v1/runs/${id}/results`)).text()).toBe(before);
    expect(await exportRecords(id)).toHaveLength(8);
  });

  it('spreads a run over several alarm slices when one invocation’s subrequest budget runs out', async () => {
    const id = await createRun(
      simRunConfig({
        workload: {
          arrivals: { type: 'concurrency', n: 3 },
          lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 3 },
          requests: 60,
        },
        regions: [{ location: 'oc', share: 1 }],
      }),
    );
    const end = await waitForEnd(id, 30_000);
    expect(end.state).toBe('done');
    expect(end.shards[0]?.progress.slices).toBeGreaterThanOrEqual(2);
    const ids = (await exportRecords(id)).map((r) => r.id);
    expect(ids.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `${id}-${i}`).sort());
  });

  it('completes when some shards have nothing to send', async () => {
    const id = await createRun(
      simRunConfig({
        workload: {
          arrivals: { type: 'constant', qps: 10 },
          lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 3 },
          requests: 1,
        },
        regions: [
          { location: 'wnam', share: 1 },
          { location: 'weur', share: 1 },
          { location: 'apac', share: 1 },
        ],
      }),
    );
    const end = await waitForEnd(id);
    expect(end.state).toBe('done');
    expect(end.shards.map((s) => s.progress.scheduled).sort()).toEqual([0, 0, 1]);
    const results = (await (await call(`/v1/runs/${id}/results`)).json()) as {
      summary: { requests: number; regions: Record<string, { requests: number }> };
    };
    expect(results.summary.requests).toBe(1);
    expect(Object.values(results.summary.regions).map((r) => r.requests)).toEqual([1]);
  });

  it('caps closed-loop requests per shard by its loops, not its weight', async () => {
    const id = await createRun(
      simRunConfig({
        workload: {
          arrivals: { type: 'concurrency', n: 3 },
          lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 4 },
          requests: 12,
        },
        regions: [{ location: 'wnam', share: 1, shards: 2 }],
        limits: { max_concurrency: 16, max_requests: 12, max_duration_s: 3600 },
      }),
    );
    const end = await waitForEnd(id);
    expect(end.reason).toBe('completed');
    expect(await exportRecords(id)).toHaveLength(12);
  });

  it('sends an open-loop backlog after a slice boundary without tripping the concurrency cap', async () => {
    const id = await createRun(
      simRunConfig(
        {
          workload: {
            arrivals: { type: 'constant', qps: 10 },
            lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 15 },
            requests: 60,
          },
          regions: [{ location: 'me', share: 1, shards: 1 }],
          deadlines: { ttft_s: 0.5, tbt_s: 0.05 },
          limits: { max_concurrency: 16, max_requests: 1000, max_duration_s: 3600 },
        },
        { decode_ms_per_token: 60 },
      ),
    );
    const end = await waitForEnd(id, 30_000);
    expect(end.shards[0]?.progress.slices).toBeGreaterThanOrEqual(2);
    expect(end.reason).toBe('completed');
    expect(await exportRecords(id)).toHaveLength(60);
  });
});

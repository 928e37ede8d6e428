import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { type HistoryResponse, historyResponseSchema } from '../../src/core/api/history-api-schemas.ts';
import { type RunResults, runResultsSchema } from '../../src/core/api/run-results-schema.ts';
import { insertHistory } from '../../src/worker/storage/history-store.ts';
import type { HistoryRow } from '../../src/worker/storage/schema.ts';
import { call, createRun, simRunConfig, waitForEnd } from './run-kit.ts';

async function history(query: string): Promise<HistoryResponse> {
  const res = await call(`/v1/history${query}`);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return historyResponseSchema.parse(body);
}

async function badPaths(query: string): Promise<unknown[]> {
  const res = await call(`/v1/history${query}`);
  const body = (await res.json()) as { error: { code: string; issues: { path: unknown[] }[] } };
  expect(res.status, JSON.stringify(body)).toBe(400);
  expect(body.error.code).toBe('invalid_request');
  return body.error.issues.map((i) => i.path);
}

describe('history of a finished run', async () => {
  const id = await createRun(simRunConfig({ name: 'history run' }));
  expect((await waitForEnd(id)).state).toBe('done');
  const results: RunResults = runResultsSchema.parse(await (await call(`/v1/runs/${id}/results`)).json());
  const host = new URL(env.TEST_TARGET_URL).host;

  it('stores its headline metrics per region and for the whole run', async () => {
    const h = await history(`?host=${encodeURIComponent(host)}&model=fluidbench-sim`);
    const mine = h.series.filter((s) => s.points.some((p) => p.run_id === id));
    const value = (region: string, metric: string) =>
      mine.find((s) => s.region === region && s.metric === metric)?.points.find((p) => p.run_id === id)
        ?.value;
    expect(new Set(mine.map((s) => s.region))).toEqual(new Set(['wnam', 'weur', 'all']));
    for (const region of ['wnam', 'weur'] as const) {
      const summary = results.summary.regions[region];
      expect(value(region, 'ttft_p50_s')).toBe(summary?.ttft_s.p50);
      expect(value(region, 'tbt_p99_s')).toBe(summary?.tbt_s.p99);
      expect(value(region, 'error_rate')).toBe(0);
      expect(value(region, 'fluidity_p50')).toBe(summary?.fluidity_index.p50);
    }
    expect(value('all', 'ttft_p99_s')).toBe(results.summary.ttft_s.p99);
    expect(value('all', 'output_speed_tok_s')).toBe(results.summary.output_throughput.p50);
    // Seconds, not milliseconds: the simulator answers its first token in ~5 ms.
    expect(value('all', 'ttft_p50_s')).toBeLessThan(1);
    const point = mine[0]?.points.find((p) => p.run_id === id);
    expect(point).toMatchObject({ kind: 'run', at_ms: results.finished_at_ms });
    expect(mine.every((s) => s.api === 'openai-chat' && s.schedule_id === null)).toBe(true);
  });

  it('filters by region, metric, time and limit', async () => {
    const one = await history('?region=weur&metric=ttft_p99_s');
    expect(one.series.map((s) => [s.region, s.metric])).toEqual([['weur', 'ttft_p99_s']]);
    const after = await history(`?from_ms=${(results.finished_at_ms as number) + 1}&model=fluidbench-sim`);
    expect(after.series).toEqual([]);
    const before = await history(`?to_ms=${results.finished_at_ms}&model=fluidbench-sim&limit=3`);
    expect(before.points).toBe(3);
    expect(before.truncated).toBe(true);
    expect((await history('?model=another-model')).series).toEqual([]);
  });
});

describe('regression flags over a stored series', () => {
  const row = (i: number, value: number): HistoryRow => ({
    runId: `sched:nightly:${i}`,
    kind: 'run',
    scheduleId: 'nightly',
    api: 'openai-chat',
    host: 'api.example.com',
    model: 'm1',
    region: 'weur',
    metric: 'ttft_p50_s',
    value,
    lo: null,
    hi: null,
    atMs: 1_800_000_000_000 + i * 86_400_000,
  });

  it('flags the second of two nights 20% slower, and a repeated write changes nothing', async () => {
    const rows = [0.5, 0.51, 0.49, 0.5, 0.52, 0.5, 0.6, 0.61].map((v, i) => row(i, v));
    await insertHistory(env.DB, rows);
    await insertHistory(env.DB, [{ ...rows[0], value: 99 } as HistoryRow]);
    const h = await history('?schedule=nightly');
    expect(h.series).toHaveLength(1);
    const [series] = h.series;
    expect(series?.points.map((p) => p.value)).toEqual(rows.map((r) => r.value));
    expect(series?.worse_when).toBe('higher');
    expect(series?.flags.map((f) => [f.run_id, f.reason])).toEqual([
      ['sched:nightly:7', 'outside_band_twice'],
    ]);
    expect(series?.flags[0]?.baseline).toBe(0.5);
  });
});

describe('bad filters', () => {
  it('are documented in /openapi.json with the response schema', async () => {
    const doc = (await (await call('/openapi.json')).json()) as {
      paths: Record<
        string,
        { get?: { parameters?: { name: string }[]; responses: Record<string, unknown> } }
      >;
    };
    const route = doc.paths['/v1/history']?.get;
    expect(route?.parameters?.map((p) => p.name).sort()).toEqual(
      ['api', 'from_ms', 'host', 'limit', 'metric', 'model', 'region', 'schedule', 'to_ms'].sort(),
    );
    expect(JSON.stringify(route?.responses['200'])).toContain('worse_when');
  });

  it('answer 400 naming the field', async () => {
    expect(await badPaths('?limit=0')).toEqual([['limit']]);
    expect(await badPaths('?limit=100000')).toEqual([['limit']]);
    expect(await badPaths('?metric=ttft')).toEqual([['metric']]);
    expect(await badPaths('?from_ms=yesterday')).toEqual([['from_ms']]);
    expect(await badPaths('?from_ms=20&to_ms=10')).toEqual([['to_ms']]);
    expect(await badPaths(`?region=${'x'.repeat(51)}`)).toEqual([['region']]);
    expect(await badPaths(`?model=${'m'.repeat(201)}`)).toEqual([['model']]);
  });
});

describe('storage cost', () => {
  it('measures bytes per history row (table and series index) from D1’s database size', async () => {
    const size = async () => (await env.DB.prepare('SELECT 1').run()).meta.size_after;
    const before = await size();
    const metrics = ['ttft_p50_s', 'ttft_p99_s', 'tbt_p99_s', 'tpot_mean_s', 'output_speed_tok_s'] as const;
    const rows: HistoryRow[] = [];
    // A year of nightly runs from 3 regions (+ all) of 5 metrics: 7,300 realistic rows.
    for (let night = 0; night < 365; night++)
      for (const region of ['wnam', 'weur', 'apac', 'all'])
        for (const metric of metrics)
          rows.push({
            runId: `sched:nightly-compare:${1_800_000_000_000 + night * 86_400_000}`,
            kind: 'run',
            scheduleId: 'nightly-compare',
            api: 'openai-chat',
            host: 'api.provider-a.example.com',
            model: 'llama-3.1-70b-instruct',
            region,
            metric,
            value: 0.123456789 * (1 + night / 1000),
            lo: null,
            hi: null,
            atMs: 1_800_000_000_000 + night * 86_400_000,
          });
    for (let i = 0; i < rows.length; i += 400) await insertHistory(env.DB, rows.slice(i, i + 400));
    const perRow = ((await size()) - before) / rows.length;
    console.log(`history: ${perRow.toFixed(0)} bytes per row (${rows.length} rows)`);
    expect(perRow).toBeGreaterThan(50);
    expect(perRow).toBeLessThan(1000);
  });
});

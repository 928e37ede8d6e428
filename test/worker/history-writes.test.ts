import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { historyResponseSchema } from '../../src/core/api/history-api-schemas.ts';
import { call, createRun, simRunConfig, waitForEnd } from './run-kit.ts';
import { createSearch, simTemplate, waitForSearch } from './search-kit.ts';

// What searches write to the history, and that a history write that fails never fails a run.

describe('history of a capacity search', () => {
  it('stores the capacity, not the probes', { timeout: 120_000 }, async () => {
    const id = await createSearch({
      name: 'history-search',
      template: simTemplate({ decode_ms_per_token: 40 }, 4),
      settings: {
        dimension: 'concurrency',
        slo: { type: 'ttft_tpot', ttft_slo_s: 1, tpot_slo_s: 0.08 },
        tolerance: 0.5,
        probe: { requests: 32 },
        load: { min: 2, max: 64 },
        cooldown_s: 0,
        warm_start: 'off',
      },
    });
    const end = await waitForSearch(id, undefined, 110_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const result = end.result!;
    expect(result.lower_bound_only).toBe(false);
    const history = historyResponseSchema.parse(await (await call('/v1/history?limit=5000')).json());
    const points = history.series.flatMap((s) =>
      s.points.map((p) => ({ ...p, region: s.region, metric: s.metric })),
    );
    // Probes are runs of their own, but none of them is in the history.
    expect(points.filter((p) => p.run_id !== id)).toEqual([]);
    const overall = points.find((p) => p.region === 'all');
    expect(overall).toMatchObject({ kind: 'search', metric: 'capacity_streams' });
    if (result.root)
      expect(overall).toMatchObject({ value: result.root.load, lo: result.root.lo, hi: result.root.hi });
    else expect(overall?.value).toBe(result.bracket.lo);
    const wnam = result.regions?.wnam?.bracket.lo ?? null;
    expect(points.find((p) => p.region === 'wnam')?.value ?? null).toBe(wnam);
  });
});

describe('a history write that fails', () => {
  it('leaves the run done with its results', async () => {
    await env.DB.exec('DROP TABLE history');
    const id = await createRun(simRunConfig({ name: 'no history table' }));
    const end = await waitForEnd(id);
    expect(end.state, JSON.stringify(end)).toBe('done');
    expect((await call(`/v1/runs/${id}/results`)).status).toBe(200);
  });
});

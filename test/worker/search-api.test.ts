import { describe, expect, it } from 'vitest';
import { call, simRunConfig } from './run-kit.ts';

// POST /v1/searches refuses, before anything is stored, what no probe could run.

function template(overrides: Record<string, unknown> = {}) {
  const { name: _name, workload: _workload, ...rest } = simRunConfig();
  return {
    ...rest,
    regions: [{ location: 'wnam', share: 1 }],
    workload: { lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 6 }, seed: 1 },
    ...overrides,
  };
}

async function post(body: unknown) {
  const res = await call('/v1/searches', { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error?: { issues?: { path: unknown[] }[] } } };
}

const paths = (body: { error?: { issues?: { path: unknown[] }[] } }) =>
  (body.error?.issues ?? []).map((i) => i.path.join('.'));

describe('POST /v1/searches validation', () => {
  it('a deadline SLO without a profile id is a 400 naming settings.slo.profile_id', async () => {
    const res = await post({
      template: template(),
      settings: { dimension: 'qps', slo: { type: 'deadline' } },
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toContain('settings.slo.profile_id');
  });

  it('a deadline SLO naming an unknown profile is a 400 naming settings.slo.profile_id', async () => {
    const res = await post({
      template: template(),
      settings: { dimension: 'qps', slo: { type: 'deadline', profile_id: 'no-such-profile' } },
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(['settings.slo.profile_id']);
  });

  it('a template whose limits the top of the load range exceeds is a 400 naming the limit', async () => {
    const res = await post({
      template: template({ limits: { max_concurrency: 16 } }),
      settings: { dimension: 'concurrency', slo: { type: 'ttft_tpot' }, load: { min: 1, max: 64 } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(paths(res.body)).toContain('settings.load.max');
    expect(JSON.stringify(res.body)).toContain('max_concurrency');
    const list = (await (await call('/v1/searches')).json()) as { searches: unknown[] };
    expect(list.searches).toEqual([]);
  });

  it('a template with arrivals is refused (the search sets them)', async () => {
    const t = template();
    const res = await post({
      template: { ...t, workload: { ...t.workload, arrivals: { type: 'constant', qps: 1 } } },
      settings: { dimension: 'qps', slo: { type: 'ttft_tpot' } },
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toContain('template.workload');
    expect(JSON.stringify(res.body)).toContain('arrivals');
  });
});

describe('warm start', () => {
  it("'auto' starts from the last done search of the same target, lengths and SLO within 14 days", async () => {
    const { env } = await import('cloudflare:workers');
    const { searchRequestSchema, warmStartKey } = await import('../../src/core/campaign/search-request.ts');
    const store = await import('../../src/worker/storage/searches-store.ts');
    const body = {
      template: template(),
      settings: { dimension: 'concurrency', slo: { type: 'ttft_tpot' }, load: { min: 1, max: 8 } },
    };
    const request = searchRequestSchema.parse(body);
    const key = warmStartKey(request.template, request.settings);
    const past = (id: string, finishedAtMs: number, root: number) =>
      store
        .createSearch(env.DB, {
          id,
          createdAtMs: finishedAtMs - 1,
          name: null,
          requestJson: '{}',
          warmKey: key,
        })
        .then(() =>
          store.transitionSearch(env.DB, id, ['queued'], {
            state: 'done',
            finishedAtMs,
            resultJson: JSON.stringify({ bracket: { lo: root - 1, hi: root + 1 }, root: { load: root } }),
          }),
        );
    await past('old-search', Date.now() - 15 * 86_400_000, 3);
    await past('recent-search', Date.now() - 86_400_000, 5);
    const other = searchRequestSchema.parse({
      ...body,
      settings: { ...body.settings, slo: { type: 'tbt_ttft' } },
    });
    await store.createSearch(env.DB, {
      id: 'other-slo',
      createdAtMs: Date.now(),
      name: null,
      requestJson: '{}',
      warmKey: warmStartKey(other.template, other.settings),
    });

    const res = await call('/v1/searches', { method: 'POST', body: JSON.stringify(body) });
    const created = (await res.json()) as { id: string; warm_start_load: number | null };
    expect(res.status).toBe(201);
    expect(created.warm_start_load).toBe(5);
    const off = await call('/v1/searches', {
      method: 'POST',
      body: JSON.stringify({ ...body, settings: { ...body.settings, warm_start: 'off' } }),
    });
    const cold = (await off.json()) as { id: string; warm_start_load: number | null };
    expect(cold.warm_start_load).toBeNull();
    for (const id of [created.id, cold.id])
      expect((await call(`/v1/searches/${id}/cancel`, { method: 'POST' })).status).toBe(202);
  });
});

describe('a deadline SLO search', () => {
  it("judges each request by its stored profile's predicted prefill, in the shards", {
    timeout: 60_000,
  }, async () => {
    const { vi } = await import('vitest');
    const { simTemplate, createSearch, waitForSearch } = await import('./search-kit.ts');
    const target = simTemplate({ decode_ms_per_token: 10 }, 4).target;
    const res = await call('/v1/profiles', {
      method: 'POST',
      body: JSON.stringify({
        target,
        prompt_lengths: [64, 128, 256],
        samples_per_length: 3,
        output_tokens: 4,
      }),
    });
    const profile = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(profile)).toBe(201);
    await vi.waitFor(
      async () => {
        const p = (await (await call(`/v1/profiles/${profile.id}`)).json()) as { state: string };
        if (p.state !== 'done') throw new Error(`profile ${p.state}`);
      },
      { timeout: 30_000, interval: 100 },
    );
    // Below the knee simulator's 16 sequences every request meets its deadlines: every probe passes,
    // so the search ends with a lower bound only. A shard without the predictor would throw instead.
    const id = await createSearch({
      template: simTemplate({ decode_ms_per_token: 10 }, 4),
      settings: {
        dimension: 'concurrency',
        slo: { type: 'deadline', profile_id: profile.id, tbt_slo_s: 0.05 },
        probe: { requests: 20 },
        load: { min: 1, max: 8 },
        budgets: { max_probes: 3 },
        cooldown_s: 0,
        warm_start: 'off',
      },
    });
    const end = await waitForSearch(id, undefined, 50_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    expect(end.result!.probes.length).toBeGreaterThan(0);
    for (const p of end.result!.probes) {
      expect(p.verdict).toBe('pass');
      expect(p.requests).toBe(20);
      expect(p.counts.miss_rate_values).toBe(20);
    }
    expect(end.probes.every((p) => p.state === 'done')).toBe(true);
  });
});

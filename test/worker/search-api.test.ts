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

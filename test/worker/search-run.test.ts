import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { campaignStub } from '../../src/worker/durable/run-protocol.ts';
import { call, status } from './run-kit.ts';
import { createSearch, probeRunIds, searchStatus, simTemplate, waitForSearch } from './search-kit.ts';

// Search behaviour against the simulator: early abort, cancel, restart (the capacity itself:
// search-capacity.test.ts).

describe('a capacity search against the simulator', () => {
  it('ends "no passing load" after few requests when every request fails', { timeout: 60_000 }, async () => {
    const planned = 200;
    const id = await createSearch({
      name: 'all-fail',
      template: simTemplate({ errors: { http_rate: 1, http_statuses: [503] } }),
      settings: {
        dimension: 'concurrency',
        slo: { type: 'ttft_tpot' },
        probe: { requests: planned },
        load: { min: 1, max: 64 },
        cooldown_s: 0,
        warm_start: 'off',
      },
    });
    const end = await waitForSearch(id, undefined, 55_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    expect(end.result?.stop_reason).toBe('no_passing_load');
    for (const probe of end.result!.probes) {
      expect(probe.verdict).toBe('fail');
      // Stopped at the error bound, far below the planned size.
      expect(probe.requests).toBeLessThan(planned / 4);
    }
    expect(end.result!.requests_used).toBeLessThan(end.result!.probes.length * planned * 0.25);
  });

  it('cancel during a probe cancels its run and keeps what was learned', { timeout: 60_000 }, async () => {
    const id = await createSearch({
      name: 'cancel-me',
      template: simTemplate({ decode_ms_per_token: 50 }),
      settings: {
        dimension: 'concurrency',
        slo: { type: 'ttft_tpot', ttft_slo_s: 1, tpot_slo_s: 1 },
        probe: { requests: 400 },
        load: { min: 2, max: 8 },
        cooldown_s: 0,
        warm_start: 'off',
      },
    });
    const running = await waitForSearch(id, (s) => (s.current?.counts.requests ?? 0) > 0, 30_000);
    const runId = running.current!.run_id;
    const res = await call(`/v1/searches/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(202);
    // The search says `cancelled` at once; the probe's row once its run has stopped.
    expect((await searchStatus(id)).state).toBe('cancelled');
    const end = await waitForSearch(
      id,
      (s) => s.state === 'cancelled' && s.probes.every((p) => p.finished_at_ms !== null),
      30_000,
    );
    expect(end.reason).toContain('cancelled by user');
    expect(end.result?.stop_reason).toBe('cancelled');
    expect((await status(runId)).state).toBe('cancelled');
    const probe = end.probes.find((p) => p.run_id === runId);
    expect(probe?.state).toBe('cancelled');
    // A second cancel is a conflict: the search has ended.
    expect((await call(`/v1/searches/${id}/cancel`, { method: 'POST' })).status).toBe(409);
  });

  it('a campaign restarted mid-probe runs no probe twice and loses none', { timeout: 120_000 }, async () => {
    const id = await createSearch({
      name: 'restart',
      template: simTemplate({ decode_ms_per_token: 10 }),
      settings: {
        dimension: 'concurrency',
        slo: { type: 'ttft_tpot', ttft_slo_s: 1, tpot_slo_s: 0.02 },
        tolerance: 0.3,
        probe: { requests: 30 },
        load: { min: 2, max: 32 },
        budgets: { max_probes: 6 },
        cooldown_s: 0,
        warm_start: 'off',
      },
    });
    // In the middle of the second probe, reset the campaign object.
    await waitForSearch(id, (s) => (s.current?.index ?? 0) >= 1, 60_000);
    await runInDurableObject(campaignStub(env, id), (_instance, state) => {
      try {
        state.abort('test: simulated restart');
      } catch {
        // abort() throws in the caller by design.
      }
    }).catch(() => undefined);
    const end = await waitForSearch(id, undefined, 110_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const runIds = await probeRunIds(id);
    // One run per probe, ids p0…pK without a gap or a repeat, each probe reported once.
    expect(runIds).toEqual(end.probes.map((_, i) => `${id}-p${i}`).sort());
    expect(end.result!.probes.map((p) => p.index)).toEqual(end.probes.map((p) => p.index));
    expect((await searchStatus(id)).probes.every((p) => p.outcome !== null)).toBe(true);
  });
});

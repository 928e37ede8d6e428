import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { campaignStub } from '../../src/worker/durable/run-protocol.ts';
import { call, status } from './run-kit.ts';
import { createSearch, probeRunIds, searchStatus, simTemplate, waitForSearch } from './search-kit.ts';

// Whole searches against the loopback simulator. Its decode step slows by 1% per extra active
// sequence (batch_slowdown 0.01), so with a decode time d per token a request's TPOT at n active
// sequences is d·(1 + 0.01·(n − 1)): a TPOT objective of d·(1 + 0.01·(C − 0.5)) makes C the
// largest passing concurrency, and, open loop, C / (request time at C) the largest passing rate.

const TOLERANCE = 0.25;

function tpotSlo(decodeS: number, capacity: number) {
  return decodeS * (1 + 0.01 * (capacity - 0.5));
}

describe('a capacity search against the simulator', () => {
  it('finds the concurrency capacity within its tolerance', { timeout: 120_000 }, async () => {
    // A long decode step, so timing noise on a busy machine (≈ 5–15 ms) stays a few % of it.
    const decodeS = 0.4;
    const capacity = 24;
    const id = await createSearch({
      name: 'knee-concurrency',
      template: simTemplate({ decode_ms_per_token: decodeS * 1000 }, 3),
      settings: {
        dimension: 'concurrency',
        slo: { type: 'ttft_tpot', ttft_slo_s: 1, tpot_slo_s: tpotSlo(decodeS, capacity) },
        tolerance: TOLERANCE,
        probe: { requests: 48 },
        load: { min: 2, max: 64 },
        cooldown_s: 0,
        warm_start: 'off',
      },
    });
    const end = await waitForSearch(id, undefined, 110_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const { lo, hi } = end.result!.bracket;
    expect(lo, JSON.stringify(end.result)).not.toBeNull();
    expect(hi).not.toBeNull();
    expect(lo!).toBeGreaterThanOrEqual(capacity / (1 + TOLERANCE) ** 2);
    expect(hi!).toBeLessThanOrEqual(capacity * (1 + TOLERANCE) ** 2);
    // Every probe is a run of its own, with the deterministic id.
    expect(await probeRunIds(id)).toEqual(end.probes.map((p) => p.run_id).sort());
  });

  it('finds the QPS capacity within its tolerance', { timeout: 120_000 }, async () => {
    const decodeS = 0.4;
    const outputTokens = 3;
    const capacity = 24;
    // Little's law: C sequences active at rate C / (time of one request at C active): the prefill
    // (≈ 5 ms) and a decode step for every token after the first.
    const requestS = 0.005 + (outputTokens - 1) * decodeS * (1 + 0.01 * (capacity - 1));
    const qps = capacity / requestS;
    const id = await createSearch({
      name: 'knee-qps',
      // Open loop on time: the tests' tiny per-slice budget (40 subrequests) would make one shard
      // pause between slices and send bursts; ten shards each send their share within one slice.
      template: simTemplate({ decode_ms_per_token: decodeS * 1000 }, outputTokens, 10),
      settings: {
        dimension: 'qps',
        arrivals: { type: 'constant' },
        slo: { type: 'ttft_tpot', ttft_slo_s: 1, tpot_slo_s: tpotSlo(decodeS, capacity) },
        tolerance: TOLERANCE,
        probe: { requests: 60, warmup_requests: 20 },
        load: { min: 2, max: 100 },
        cooldown_s: 0,
        warm_start: 'off',
      },
    });
    const end = await waitForSearch(id, undefined, 110_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const { lo, hi } = end.result!.bracket;
    expect(lo, JSON.stringify(end.result)).not.toBeNull();
    expect(hi).not.toBeNull();
    // Little's law gives the mean number active; TPOT's P90 sees the busier moments, so the
    // measured knee may sit a little below the estimate: one more tolerance step of room below.
    expect(lo!).toBeGreaterThanOrEqual(qps / (1 + TOLERANCE) ** 3);
    expect(hi!).toBeLessThanOrEqual(qps * (1 + TOLERANCE) ** 2);
  });

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
        slo: { type: 'ttft_tpot', ttft_slo_s: 1, tpot_slo_s: tpotSlo(0.01, 8) },
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

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { runConfigSchema } from '../../src/core/run/run-config.ts';
import { createAbortRule, percentileFailAtBad } from '../../src/core/search/probe-verdict.ts';
import { type SearchSlo, searchSloSchema } from '../../src/core/search/search-protocol.ts';
import { coordinatorStub } from '../../src/worker/durable/run-protocol.ts';
import { startRun } from '../../src/worker/runs/start-run.ts';
import { simRunConfig, waitForEnd } from './run-kit.ts';

// A probe run ends as soon as its verdict can no longer change: the shards classify each measured
// request, the coordinator sums their counts on each heartbeat and stops the run, which ends `done`.

function probeRun(id: string, slo: SearchSlo, planned: number, sim: Record<string, unknown>) {
  const config = runConfigSchema.parse(
    simRunConfig(
      {
        name: id,
        workload: {
          arrivals: { type: 'concurrency', n: 4 },
          lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 6 },
          requests: planned,
          seed: 3,
        },
      },
      sim,
    ),
  );
  const abort = createAbortRule({
    slo,
    plannedRequests: planned,
    offeredLoad: 4,
    errorRateBound: 0.05,
    achievedRateTolerance: 0.05,
    minElapsed_s: 0,
  });
  return startRun(env, config, id, { slo, abort });
}

describe('a probe run with an abort rule', () => {
  it('stops at the error bound when every request fails, done with the reason', async () => {
    const slo = searchSloSchema.parse({ type: 'ttft_tpot' });
    await probeRun('probe-abort-errors', slo, 400, { errors: { http_rate: 1, http_statuses: [500] } });
    const end = await waitForEnd('probe-abort-errors', 20_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    expect(end.reason).toContain('probe decided: fail (error_bound)');
    const probe = await coordinatorStub(env, 'probe-abort-errors').probeStatus();
    expect(probe?.stop?.why).toBe('error_bound');
    // 5% of 400 is 20 errors: decided there, far before the 400 planned.
    expect(probe?.stop?.counts.errors).toBeGreaterThanOrEqual(20);
    const sent = Object.values(end.regions).reduce((n, r) => n + r.dispatched, 0);
    expect(sent).toBeLessThan(200);
  });

  it('stops once enough requests are bad that the percentile cannot pass', async () => {
    // TPOT ≈ 4 ms per token in the simulator; a 1 ms objective makes every request bad.
    const slo = searchSloSchema.parse({ type: 'ttft_tpot', tpot_slo_s: 0.001, ttft_slo_s: 5 });
    const planned = 300;
    await probeRun('probe-abort-bad', slo, planned, {});
    const end = await waitForEnd('probe-abort-bad', 20_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    expect(end.reason).toContain('probe decided: fail (verdict_decided)');
    const probe = await coordinatorStub(env, 'probe-abort-bad').probeStatus();
    const failAt = percentileFailAtBad(planned, 0.9);
    expect(probe?.stop?.counts.tpot_bad).toBeGreaterThanOrEqual(failAt);
    expect(probe?.stop?.counts.errors).toBe(0);
    const sent = Object.values(end.regions).reduce((n, r) => n + r.dispatched, 0);
    expect(sent).toBeLessThan(planned / 2);
  });

  it('runs to the end when the verdict stays open, then decides from the full counts', async () => {
    const slo = searchSloSchema.parse({ type: 'ttft_tpot', tpot_slo_s: 1, ttft_slo_s: 5 });
    await probeRun('probe-abort-pass', slo, 24, {});
    const end = await waitForEnd('probe-abort-pass', 20_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const probe = await coordinatorStub(env, 'probe-abort-pass').probeStatus();
    expect(probe?.counts.requests).toBe(24);
    expect(probe?.counts.bad).toBe(0);
    expect(probe?.stop?.verdict).toBe('pass');
  });
});

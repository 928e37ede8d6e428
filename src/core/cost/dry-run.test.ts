import { describe, expect, it } from 'vitest';
import { runConfigSchema } from '../run/run-config.ts';
import { planRun } from '../run/run-plan.ts';
import { dryRun, formatDryRun } from './dry-run.ts';

const config = (workload: Record<string, unknown>) =>
  runConfigSchema.parse({
    target: { api: 'openai-chat', base_url: 'http://127.0.0.1:9/v1', model: 'm' },
    workload: { lengths: { type: 'fixed', prompt_tokens: 10, output_tokens: 100 }, ...workload },
    regions: [
      { location: 'wnam', share: 1 },
      { location: 'weur', share: 1 },
    ],
  });

describe('dryRun', () => {
  it('plans an open-loop run exactly: requests, shards per region, output tokens', () => {
    const c = config({ arrivals: { type: 'constant', qps: 10 }, duration_s: 60 });
    const d = dryRun(c, planRun(c));
    expect(d.requests).toBe(600);
    expect(d.requests_estimated).toBe(false);
    expect(d.output_tokens).toBe(60_000);
    expect(d.regions).toEqual({ wnam: 1, weur: 1 });
    expect(d.cost.total_usd).toBeGreaterThan(0);
    expect(formatDryRun(d)).toMatch(/600 requests, 2 shard\(s\).*nothing was started/s);
  });

  it('estimates a duration-bound closed loop from its concurrency and the request time', () => {
    const c = config({ arrivals: { type: 'concurrency', n: 4 }, duration_s: 60 });
    const d = dryRun(c, planRun(c));
    expect(d.requests_estimated).toBe(true);
    // Four loops, each request ≈ ttft + 100 × tbt seconds at the run's deadlines.
    const requestS = c.deadlines.ttft_s + 100 * c.deadlines.tbt_s;
    expect(d.requests).toBe(Math.round((4 * 60) / requestS));
  });
});

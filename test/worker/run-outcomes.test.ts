import { describe, expect, it } from 'vitest';
import { startedAtMs } from '../../src/core/report/run-results.ts';
import type { RunConfigInput } from '../../src/core/run/run-config.ts';
import { createRun, exportRecords, results, simRunConfig, waitForEnd } from './run-kit.ts';

describe('run limits hold exactly over several shards', () => {
  const closedLoop = (n: number) => ({
    arrivals: { type: 'concurrency', n },
    lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 3 },
    duration_s: 60,
  });

  it('2 shards with uneven shares and max_requests 5 send exactly 5 (rounding each share up sent 6)', async () => {
    const id = await createRun(
      simRunConfig({
        workload: closedLoop(3),
        regions: [
          { location: 'wnam', share: 2 },
          { location: 'weur', share: 1 },
        ],
        limits: { max_requests: 5, max_concurrency: 8 },
      }),
    );
    const end = await waitForEnd(id);
    expect(end.state, JSON.stringify(end)).toBe('done');
    expect(end.reason).toBe('limit: limits.max_requests (5) reached');
    expect(await exportRecords(id)).toHaveLength(5);
    expect(end.shards.map((s) => s.progress.dispatched)).toEqual([3, 2]);
  });

  it('3 shards, max_requests 5: exactly 5', async () => {
    const id = await createRun(
      simRunConfig({
        workload: closedLoop(3),
        regions: [
          { location: 'wnam', share: 1 },
          { location: 'weur', share: 1 },
          { location: 'apac', share: 1 },
        ],
        limits: { max_requests: 5, max_concurrency: 8 },
      }),
    );
    const end = await waitForEnd(id);
    expect(end.reason).toBe('limit: limits.max_requests (5) reached');
    expect(await exportRecords(id)).toHaveLength(5);
    expect(end.shards.reduce((n, s) => n + s.progress.dispatched, 0)).toBe(5);
  });
});

describe('status counts warm-up apart from measured requests', () => {
  it('by_outcome and errors cover measured requests only; warmup_done the rest', async () => {
    const config = simRunConfig({
      workload: {
        arrivals: { type: 'constant', qps: 40 },
        lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 4 },
        requests: 10,
        warmup: { requests: 4 },
        seed: 3,
      },
    }) as RunConfigInput;
    const id = await createRun(config);
    const end = await waitForEnd(id);
    expect(end.state).toBe('done');
    const regions = Object.values(end.regions);
    const sum = (f: (r: (typeof regions)[number]) => number) => regions.reduce((n, r) => n + f(r), 0);
    expect(sum((r) => r.done)).toBe(10);
    expect(sum((r) => r.warmup_done)).toBe(4);
    expect(sum((r) => r.by_outcome.ok ?? 0)).toBe(6);
    expect(sum((r) => Object.values(r.by_outcome).reduce((n, x) => n + (x ?? 0), 0))).toBe(6);
    const stored = await results<{ summary: { requests: number }; load: { requests_sent: number } }>(id);
    expect(stored.summary.requests).toBe(6);
    expect(stored.load.requests_sent).toBe(6);
  });
});

describe('a run that ended before its schedule started', () => {
  it('has no start time rather than one after its finish', () => {
    const base = { startAtMs: 2_000, finishedAtMs: null } as Parameters<typeof startedAtMs>[0];
    expect(startedAtMs({ ...base, finishedAtMs: 1_500 })).toBeNull();
    expect(startedAtMs({ ...base, finishedAtMs: 2_500 })).toBe(2_000);
    expect(startedAtMs(base)).toBe(2_000);
  });
});

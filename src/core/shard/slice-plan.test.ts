import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RunConfig, type RunConfigInput, runConfigSchema } from '../run/run-config.ts';
import {
  ALARM_WALL_S,
  afterFailedAlarm,
  MAX_FAILED_ALARMS,
  planSlice,
  type ShardPlace,
  shardCaps,
  shardFailure,
  splitCap,
} from './slice-plan.ts';

function config(over: Partial<RunConfigInput> = {}): RunConfig {
  return runConfigSchema.parse({
    target: { api: 'openai-chat', base_url: 'https://api.example.com/v1', model: 'm' },
    workload: {
      arrivals: { type: 'constant', qps: 10 },
      lengths: { type: 'fixed', prompt_tokens: 10, output_tokens: 20 },
      requests: 100,
    },
    ...over,
  });
}

const places = (c: RunConfig, weights: number[]): ShardPlace[] =>
  weights.map((_, index) => ({ config: c, weights, index, startAtMs: 0 }));

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const weightLists = fc
  .array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 12 })
  .filter((w) => sum(w) > 0);

describe('splitting a run limit over shards', () => {
  it('the regression: 2 shards, max_requests 5 — caps 3 + 2, not 3 + 3', () => {
    const c = config({ limits: { max_requests: 5, max_concurrency: 5, max_duration_s: 60 } });
    expect(places(c, [1, 1]).map((p) => shardCaps(p).requestCap)).toEqual([3, 2]);
    expect(places(c, [1, 1]).map((p) => shardCaps(p).maxInFlight)).toEqual([3, 2]);
  });

  it('sums exactly to the limit for any shard count and uneven shares; each part within 1 of its quota', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), weightLists, (total, weights) => {
        const parts = splitCap(total, weights);
        expect(sum(parts)).toBe(total);
        const w = sum(weights);
        parts.forEach((part, i) => {
          const quota = (total * weights[i]!) / w;
          expect(part).toBeGreaterThanOrEqual(Math.floor(quota));
          expect(part).toBeLessThanOrEqual(Math.ceil(quota));
          if (weights[i] === 0) expect(part).toBe(0);
        });
      }),
    );
  });

  it('every cap of every shard sums to its limit, open and closed loop', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 2_000 }),
        weightLists,
        fc.boolean(),
        fc.integer({ min: 1, max: 200 }),
        (maxRequests, maxConcurrency, weights, closed, n) => {
          const c = config({
            workload: {
              arrivals: closed ? { type: 'concurrency', n } : { type: 'poisson', qps: 3 },
              lengths: { type: 'fixed', prompt_tokens: 10, output_tokens: 20 },
              requests: 10,
            },
            limits: { max_requests: maxRequests, max_concurrency: maxConcurrency, max_duration_s: 60 },
          });
          const caps = places(c, weights).map(shardCaps);
          expect(sum(caps.map((x) => x.requestCap))).toBe(maxRequests);
          expect(sum(caps.map((x) => x.maxInFlight))).toBe(maxConcurrency);
          if (closed) expect(sum(caps.map((x) => x.closedConcurrency ?? 0))).toBe(n);
          else expect(caps.every((x) => x.closedConcurrency === null)).toBe(true);
        },
      ),
    );
  });

  it('closed loop splits by loops: a shard without loops gets no requests', () => {
    const c = config({
      workload: {
        arrivals: { type: 'concurrency', n: 1 },
        lengths: { type: 'fixed', prompt_tokens: 10, output_tokens: 20 },
        duration_s: 10,
      },
      limits: { max_requests: 5, max_concurrency: 4, max_duration_s: 60 },
    });
    expect(places(c, [1, 1]).map(shardCaps)).toEqual([
      { closedConcurrency: 1, requestCap: 5, maxInFlight: 4 },
      { closedConcurrency: 0, requestCap: 0, maxInFlight: 0 },
    ]);
  });
});

describe('planning one slice', () => {
  const now = 1_000_000;

  it('ends at the slice length when the run goes on longer', () => {
    const c = config({ limits: { max_requests: 10, max_concurrency: 10, max_duration_s: 3_600 } });
    const plan = planSlice({ config: c, weights: [1], index: 0, startAtMs: now }, now, 600);
    expect(plan).toMatchObject({ dispatchUntilMs: now + 600_000, untilReason: 'slice_end', capFromMs: now });
  });

  it('ends at max_duration_s, or at duration_s in closed loop, whichever is first', () => {
    const c = config({
      workload: {
        arrivals: { type: 'concurrency', n: 2 },
        lengths: { type: 'fixed', prompt_tokens: 10, output_tokens: 20 },
        duration_s: 30,
      },
      limits: { max_requests: 10, max_concurrency: 10, max_duration_s: 40 },
    });
    const start = now - 5_000;
    expect(planSlice({ config: c, weights: [1], index: 0, startAtMs: start }, now, 600)).toMatchObject({
      dispatchUntilMs: start + 30_000,
      untilReason: 'duration_reached',
    });
    const longer = { ...c, workload: { ...c.workload, duration_s: 50 } };
    expect(planSlice({ config: longer, weights: [1], index: 0, startAtMs: start }, now, 600)).toMatchObject({
      dispatchUntilMs: start + 40_000,
      untilReason: 'limit_max_duration',
    });
  });

  it('leaves room in the 15-minute alarm for the drain of a long request timeout', () => {
    const c = config({
      timeouts: { request_s: 600 },
      limits: { max_requests: 10, max_concurrency: 10, max_duration_s: 3_600 },
    });
    const plan = planSlice({ config: c, weights: [1], index: 0, startAtMs: now }, now, 840);
    expect((plan.dispatchUntilMs - now) / 1000).toBe(Math.max(60, ALARM_WALL_S - 600 - 60));
  });
});

describe('after a failed alarm', () => {
  it('retries with a doubling backoff, then gives up after a bounded number of attempts', () => {
    expect(afterFailedAlarm(1)).toEqual({ giveUp: false, retryInMs: 500 });
    expect(afterFailedAlarm(2)).toEqual({ giveUp: false, retryInMs: 1_000 });
    expect(afterFailedAlarm(3)).toEqual({ giveUp: false, retryInMs: 2_000 });
    expect(afterFailedAlarm(MAX_FAILED_ALARMS)).toEqual({ giveUp: true });
    expect(afterFailedAlarm(MAX_FAILED_ALARMS + 3)).toEqual({ giveUp: true });
  });
});

describe('shardFailure', () => {
  it('names the shard, the attempts and the error', () => {
    expect(shardFailure({ index: 1, region: 'weur' }, 4, new RangeError('Invalid array length'))).toBe(
      'shard 1 (weur) failed 4 times in a row: RangeError: Invalid array length',
    );
  });
});

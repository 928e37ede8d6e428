import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWorkload, type Workload, type WorkloadInput } from '../workload/workload-config.ts';
import {
  closedLoopConcurrency,
  countShardRequests,
  type PlannedRequest,
  planShardRequests,
} from './shard-plan.ts';

const uniform = { type: 'uniform', min_tokens: 10, max_tokens: 1000, prefill_to_decode_ratio: 2 } as const;

function workload(input: Partial<WorkloadInput>): Workload {
  return parseWorkload({ arrivals: { type: 'poisson', qps: 50 }, lengths: uniform, ...input });
}

function plan(
  w: Workload,
  weights: number[],
  index: number,
  limit = Number.POSITIVE_INFINITY,
): PlannedRequest[] {
  const out: PlannedRequest[] = [];
  for (const request of planShardRequests(w, weights, index)) {
    if (out.length >= limit) break;
    out.push(request);
  }
  return out;
}

const workloadInputs: fc.Arbitrary<Partial<WorkloadInput>> = fc.oneof(
  fc.record({
    arrivals: fc.record({
      type: fc.constant('poisson' as const),
      qps: fc.double({ min: 1, max: 1000, noNaN: true }),
    }),
    requests: fc.integer({ min: 1, max: 150 }),
  }),
  fc.record({
    arrivals: fc.record({ type: fc.constant('gamma' as const), qps: fc.constant(100), cv: fc.constant(3) }),
    duration_s: fc.double({ min: 0.01, max: 1, noNaN: true }),
    requests: fc.option(fc.integer({ min: 1, max: 150 }), { nil: undefined }),
  }),
  fc.record({
    arrivals: fc.record({ type: fc.constant('constant' as const), qps: fc.constant(37) }),
    duration_s: fc.double({ min: 0.01, max: 3, noNaN: true }),
  }),
  fc.record({
    arrivals: fc.record({
      type: fc.constant('trace' as const),
      times_s: fc
        .array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 60 })
        .map((times) => times.sort((a, b) => a - b)),
    }),
  }),
  fc.record({
    arrivals: fc.record({ type: fc.constant('concurrency' as const), n: fc.integer({ min: 1, max: 9 }) }),
    requests: fc.integer({ min: 1, max: 150 }),
  }),
);

const weightLists = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 6 }),
  fc.array(fc.double({ min: 0, max: 3, noNaN: true }), { minLength: 1, maxLength: 6 }),
);

describe('planShardRequests', () => {
  it('shards partition the one-shard sequence, and counts match', () => {
    fc.assert(
      fc.property(
        workloadInputs,
        weightLists.filter((weights) => weights.reduce((a, b) => a + b, 0) > 0),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 5 }),
        (input, weights, seed, wantedWarmup) => {
          const warmup = Math.min(wantedWarmup, (input.requests ?? Number.POSITIVE_INFINITY) - 1);
          const w = workload({ ...input, seed, warmup: { requests: warmup } });
          const single = plan(w, [1], 0);
          const union: PlannedRequest[] = [];
          weights.forEach((_, shard) => {
            const mine = plan(w, weights, shard);
            expect(mine.every((r, i) => i === 0 || r.seq > mine[i - 1]!.seq)).toBe(true);
            expect(countShardRequests(w, weights, shard)).toBe(mine.length);
            union.push(...mine);
          });
          union.sort((a, b) => a.seq - b.seq);
          expect(union).toEqual(single);
          expect(single.map((r) => r.seq)).toEqual(single.map((_, i) => i));
          expect(single.every((r) => r.warmup === r.seq < warmup)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('splits every prefix of the sequence within one request of the weights', () => {
    fc.assert(
      fc.property(
        weightLists.filter((weights) => weights.reduce((a, b) => a + b, 0) > 0),
        (weights) => {
          const total = weights.reduce((a, b) => a + b, 0);
          const w = workload({
            lengths: { type: 'fixed', prompt_tokens: 1, output_tokens: 1 },
            requests: 200,
          });
          const owner = new Array<number>(200);
          weights.forEach((_, shard) => {
            for (const request of planShardRequests(w, weights, shard)) owner[request.seq] = shard;
          });
          const counts = new Array<number>(weights.length).fill(0);
          owner.forEach((shard, seq) => {
            counts[shard]!++;
            weights.forEach((weight, s) => {
              expect(Math.abs(counts[s]! - ((seq + 1) * weight) / total)).toBeLessThan(1);
            });
          });
        },
      ),
    );
  });

  it('tabulated (integer) and stepped (fractional) interleaves agree', () => {
    // Scaling weights by a power of two changes no comparison, so both paths must pick the same shards.
    const w = workload({ requests: 500 });
    for (const shard of [0, 1, 2]) {
      const seqs = (weights: number[]) => plan(w, weights, shard).map((r) => r.seq);
      expect(seqs([3, 1, 4])).toEqual(seqs([0.75, 0.25, 1]));
      expect(countShardRequests(w, [3, 1, 4], shard)).toBe(countShardRequests(w, [0.75, 0.25, 1], shard));
    }
  });

  it('stops at duration_s: every offset is before it, the next one is not', () => {
    const long = plan(workload({ duration_s: 10 }), [1], 0);
    const short = plan(workload({ duration_s: 2 }), [1], 0);
    expect(short.length).toBeGreaterThan(50);
    expect(short.every((r) => r.offsetUs !== null && r.offsetUs < 2e6)).toBe(true);
    expect(long.slice(0, short.length)).toEqual(short);
    expect(long[short.length]!.offsetUs).toBeGreaterThanOrEqual(2e6);
  });

  it('stops at whichever of requests and duration_s comes first', () => {
    expect(plan(workload({ duration_s: 100, requests: 7 }), [1], 0)).toHaveLength(7);
    expect(plan(workload({ duration_s: 0.1, requests: 1000 }), [1], 0).length).toBeLessThan(30);
  });

  it('keeps lengths when only the arrival process changes', () => {
    const poisson = plan(workload({ requests: 300, seed: 5 }), [2, 1], 1);
    const closed = plan(
      workload({ arrivals: { type: 'concurrency', n: 3 }, requests: 300, seed: 5 }),
      [2, 1],
      1,
    );
    const bySeq = new Map(poisson.map((r) => [r.seq, r]));
    let shared = 0;
    for (const request of closed) {
      const other = bySeq.get(request.seq);
      if (other === undefined) continue;
      shared++;
      expect([request.promptTokens, request.outputTokens]).toEqual([other.promptTokens, other.outputTokens]);
    }
    expect(shared).toBeGreaterThan(50);
    expect(closed.every((r) => r.offsetUs === null)).toBe(true);
  });

  it('depends on the seed', () => {
    const a = plan(workload({ requests: 50, seed: 1 }), [1], 0);
    const b = plan(workload({ requests: 50, seed: 2 }), [1], 0);
    expect(a.map((r) => r.offsetUs)).not.toEqual(b.map((r) => r.offsetUs));
    expect(a.map((r) => r.promptTokens)).not.toEqual(b.map((r) => r.promptTokens));
  });

  it('closed loop without requests is unbounded', () => {
    const w = workload({ arrivals: { type: 'concurrency', n: 4 }, duration_s: 1 });
    expect(plan(w, [1, 1], 0, 5000)).toHaveLength(5000);
    expect(countShardRequests(w, [1, 1], 0)).toBeNull();
  });

  it('rejects bad shard weights and indices', () => {
    const w = workload({ requests: 10 });
    expect(() => planShardRequests(w, [], 0)).toThrow(/empty/);
    expect(() => planShardRequests(w, [0, 0], 0)).toThrow(/all be 0/);
    expect(() => planShardRequests(w, [1, -1], 0)).toThrow(/≥ 0/);
    expect(() => planShardRequests(w, [1, 1], 2)).toThrow(/not in \[0, 2\)/);
    expect(() => countShardRequests(w, [1], 0.5)).toThrow(/not in/);
  });

  it('counts a million requests quickly', () => {
    const started = performance.now();
    const byCount = workload({ arrivals: { type: 'concurrency', n: 100 }, requests: 1_000_000 });
    const counts = [3, 1, 4, 1, 5].map((_, shard) => countShardRequests(byCount, [3, 1, 4, 1, 5], shard)!);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1_000_000);
    // Bounded by time: every arrival is generated.
    const byTime = workload({ arrivals: { type: 'poisson', qps: 1000 }, duration_s: 1000 });
    const timed = countShardRequests(byTime, [1, 1.5, 2.5], 2)!;
    expect(timed / 1e6).toBeGreaterThan(0.45);
    expect(timed / 1e6).toBeLessThan(0.55);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('closedLoopConcurrency', () => {
  it('splits n by largest remainder, summing to n', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        weightLists.filter((weights) => weights.reduce((a, b) => a + b, 0) > 0),
        (n, weights) => {
          const total = weights.reduce((a, b) => a + b, 0);
          const loops = weights.map((_, shard) => closedLoopConcurrency(n, weights, shard));
          expect(loops.reduce((a, b) => a + b, 0)).toBe(n);
          loops.forEach((count, shard) => {
            expect(Math.abs(count - (n * weights[shard]!) / total)).toBeLessThan(1);
            if (weights[shard] === 0) expect(count).toBe(0);
          });
        },
      ),
    );
  });

  it('gives a shard without loops no requests, and splits requests by loops', () => {
    const w = workload({ arrivals: { type: 'concurrency', n: 2 }, requests: 90 });
    const loops = [0, 1, 2].map((shard) => closedLoopConcurrency(2, [1, 1, 1], shard));
    expect(loops).toEqual([1, 1, 0]);
    expect(plan(w, [1, 1, 1], 2)).toEqual([]);
    expect(countShardRequests(w, [1, 1, 1], 2)).toBe(0);
    expect(plan(w, [1, 1, 1], 0)).toHaveLength(45);
    expect(plan(w, [1, 1, 1], 1)).toHaveLength(45);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countShardRequests } from '../shard/shard-plan.ts';
import { createLengthSampler, type Lengths, lengthsSchema } from '../workload/lengths.ts';
import { createRandom } from '../workload/seeded-random.ts';
import { LOCATION_HINTS, type RunConfig, type RunConfigInput, runConfigSchema } from './run-config.ts';
import { limitIssues, meanOutputTokens, offeredQps, planRun, zipfMeanRank } from './run-plan.ts';

const target = { api: 'openai-chat', base_url: 'https://api.example.com/v1', model: 'm' } as const;
const fixed = { type: 'fixed', prompt_tokens: 100, output_tokens: 20 } as const;

function config(
  workload: Partial<RunConfigInput['workload']>,
  rest: Partial<RunConfigInput> = {},
): RunConfig {
  return runConfigSchema.parse({
    target,
    workload: { arrivals: { type: 'constant', qps: 1 }, lengths: fixed, ...workload },
    ...rest,
  });
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Requests the shards will actually schedule (the plan's estimate should match it). */
function scheduledRequests(c: RunConfig): number | null {
  const weights = planRun(c).shards.map((s) => s.weight);
  const counts = weights.map((_, i) => countShardRequests(c.workload, weights, i));
  return counts.includes(null) ? null : sum(counts as number[]);
}

describe('planRun shards', () => {
  it('derives shard counts per region from concurrency and streams_per_shard', () => {
    const plan = planRun(
      config(
        { arrivals: { type: 'concurrency', n: 100 }, requests: 1000 },
        {
          regions: [
            { location: 'wnam', share: 3 },
            { location: 'weur', share: 1 },
          ],
          streams_per_shard: 32,
        },
      ),
    );
    expect(plan.shards.map((s) => s.region)).toEqual(['wnam', 'wnam', 'wnam', 'weur']);
    expect(plan.shards.map((s) => s.index)).toEqual([0, 1, 2, 3]);
    expect(plan.expectedConcurrency).toBe(100);
    // 3/4 of the load over 3 shards and 1/4 over 1: every shard carries a quarter.
    for (const shard of plan.shards) expect(shard.weight).toBeCloseTo(0.25, 12);
  });

  it('gives every region at least one shard, and more streams per shard means fewer shards', () => {
    const regions = [
      { location: 'apac', share: 1 },
      { location: 'me', share: 1000 },
    ] as const;
    const tiny = planRun(
      config({ arrivals: { type: 'concurrency', n: 1 }, requests: 5 }, { regions: [...regions] }),
    );
    expect(new Set(tiny.shards.map((s) => s.region))).toEqual(new Set(['apac', 'me']));
    const many = (streams_per_shard: number) =>
      planRun(config({ arrivals: { type: 'concurrency', n: 500 }, requests: 5 }, { streams_per_shard }))
        .shards.length;
    expect(many(10)).toBe(50);
    expect(many(500)).toBe(1);
    expect(many(1000)).toBe(1);
  });

  it('respects explicit shards even when the concurrency would need more or fewer', () => {
    const plan = planRun(
      config(
        { arrivals: { type: 'concurrency', n: 1000 }, requests: 5 },
        {
          regions: [
            { location: 'wnam', shards: 2 },
            { location: 'eeur', share: 1 },
            { location: 'sam', shards: 7 },
          ],
          streams_per_shard: 10,
        },
      ),
    );
    const byRegion = (r: string) => plan.shards.filter((s) => s.region === r).length;
    expect(byRegion('wnam')).toBe(2);
    expect(byRegion('sam')).toBe(7);
    expect(byRegion('eeur')).toBe(Math.ceil(1000 / 3 / 10));
  });

  it('weights sum to 1 and split each region’s share evenly over its shards', () => {
    const region = fc.record({
      location: fc.constantFrom(...LOCATION_HINTS),
      share: fc.double({ min: 0.01, max: 100, noNaN: true }),
      shards: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(region, { minLength: 1, maxLength: 6, selector: (r) => r.location }),
        fc.integer({ min: 1, max: 5000 }),
        (regions, n) => {
          const plan = planRun(config({ arrivals: { type: 'concurrency', n }, requests: 10 }, { regions }));
          expect(sum(plan.shards.map((s) => s.weight))).toBeCloseTo(1, 9);
          expect(plan.shards.map((s) => s.index)).toEqual(plan.shards.map((_, i) => i));
          const totalShare = sum(regions.map((r) => r.share));
          for (const r of regions) {
            const mine = plan.shards.filter((s) => s.region === r.location);
            if (r.shards !== undefined) expect(mine).toHaveLength(r.shards);
            expect(mine.length).toBeGreaterThanOrEqual(1);
            expect(sum(mine.map((s) => s.weight))).toBeCloseTo(r.share / totalShare, 9);
            for (const s of mine) expect(s.weight).toBeCloseTo(mine[0]!.weight, 12);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('sizes open-loop shards by Little’s law: more load or longer requests never means fewer shards', () => {
    const shards = (qps: number, output_tokens: number) =>
      planRun(
        config(
          { arrivals: { type: 'poisson', qps }, lengths: { ...fixed, output_tokens }, duration_s: 10 },
          { streams_per_shard: 8 },
        ),
      );
    const small = shards(1, 20);
    expect(small.shards).toHaveLength(1);
    // 200 req/s lasting at least tbt × 500 tokens = 25 s each: thousands in flight.
    const big = shards(200, 500);
    expect(big.expectedConcurrency).toBeGreaterThanOrEqual(200 * 500 * 0.05);
    expect(big.shards.length).toBe(Math.ceil(big.expectedConcurrency / 8));
    expect(shards(400, 500).shards.length).toBeGreaterThan(big.shards.length);
  });
});

describe('planRun expected requests and duration', () => {
  it('closed loop bounded by requests: that many, duration unknown', () => {
    const plan = planRun(config({ arrivals: { type: 'concurrency', n: 4 }, requests: 321 }));
    expect(plan.expectedRequests).toBe(321);
    expect(plan.expectedDurationS).toBeNull();
  });

  it('closed loop bounded by duration only: requests unknown', () => {
    const plan = planRun(config({ arrivals: { type: 'concurrency', n: 4 }, duration_s: 60 }));
    expect(plan.expectedRequests).toBeNull();
    expect(plan.expectedDurationS).toBe(60);
  });

  it('open loop bounded by requests: requests, lasting requests / qps', () => {
    const plan = planRun(config({ arrivals: { type: 'poisson', qps: 4 }, requests: 100 }));
    expect(plan.expectedRequests).toBe(100);
    expect(plan.expectedDurationS).toBeCloseTo(25);
  });

  it('open loop bounded by duration: qps × duration, matching the shards’ own schedule', () => {
    const c = config(
      { arrivals: { type: 'constant', qps: 20 }, duration_s: 30 },
      { regions: [{ location: 'wnam' }, { location: 'enam', share: 2 }] },
    );
    const plan = planRun(c);
    expect(plan.expectedRequests).toBe(600);
    expect(plan.expectedDurationS).toBe(30);
    expect(scheduledRequests(c)).toBe(600);
  });

  it('open loop bounded by both: whichever ends first', () => {
    const byDuration = planRun(
      config({ arrivals: { type: 'gamma', qps: 10, cv: 2 }, duration_s: 5, requests: 1000 }),
    );
    expect(byDuration.expectedRequests).toBe(50);
    expect(byDuration.expectedDurationS).toBe(5);
    const byRequests = planRun(
      config({ arrivals: { type: 'constant', qps: 10 }, duration_s: 500, requests: 30 }),
    );
    expect(byRequests.expectedRequests).toBe(30);
  });

  it('trace arrivals: one request per time, over the scaled trace', () => {
    const times_s = [0, 0.5, 1, 2, 4];
    const c = config({ arrivals: { type: 'trace', times_s, time_scale: 2 } });
    const plan = planRun(c);
    expect(plan.expectedRequests).toBe(5);
    expect(plan.expectedDurationS).toBe(8);
    expect(scheduledRequests(c)).toBe(5);
    expect(planRun(config({ arrivals: { type: 'trace', times_s }, requests: 3 })).expectedRequests).toBe(3);
  });

  // Bug: planRun counts a trace's requests without the duration_s cut that planShardRequests applies
  // (offsets at or after duration_s are not scheduled), so limitIssues can reject a run that is small.
  it('trace arrivals cut by duration_s: only the times before it count', () => {
    const c = config({ arrivals: { type: 'trace', times_s: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }, duration_s: 5 });
    expect(scheduledRequests(c)).toBe(5);
    expect(planRun(c).expectedRequests).toBe(5);
  });

  // Bug: with `requests` cutting a trace short, the expected duration still runs to the trace's end.
  it('trace arrivals cut by requests: the schedule ends at the last request sent', () => {
    const c = config({ arrivals: { type: 'trace', times_s: [0, 1, 2, 3, 7200] }, requests: 4 });
    expect(planRun(c).expectedDurationS).toBe(3);
    expect(limitIssues(c, planRun(c))).toEqual([]);
  });
});

describe('offeredQps and meanOutputTokens', () => {
  it('offered qps of a trace scales inversely with time_scale; closed loop has none', () => {
    const trace = (time_scale: number) =>
      offeredQps({ type: 'trace', times_s: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], time_scale });
    expect(trace(1)).toBeCloseTo(1.1);
    expect(trace(2)).toBeCloseTo(trace(1)! / 2);
    expect(offeredQps({ type: 'trace', times_s: [0, 0], time_scale: 1 })).toBeGreaterThan(0);
    expect(offeredQps({ type: 'concurrency', n: 8 })).toBeNull();
    expect(offeredQps({ type: 'gamma', qps: 7, cv: 3 })).toBe(7);
  });

  it('mean output tokens is close to what the length sampler produces', () => {
    const cases: unknown[] = [
      { type: 'fixed', prompt_tokens: 5, output_tokens: 77 },
      { type: 'uniform', min_tokens: 100, max_tokens: 900, prefill_to_decode_ratio: 3 },
      { type: 'uniform', min_tokens: 10, max_tokens: 20, prefill_to_decode_ratio: 0.5 },
      {
        type: 'trace',
        rows: [
          [10, 100],
          [20, 300],
          [5, 50],
        ],
        decode_scale: 2,
        order: 'sequential',
      },
    ];
    for (const input of cases) {
      const lengths: Lengths = lengthsSchema.parse(input);
      const sample = createLengthSampler(lengths, createRandom(7, 2));
      const n = 6000;
      let total = 0;
      for (let i = 0; i < n; i++) total += sample(i).outputTokens;
      const mean = total / n;
      expect(Math.abs(meanOutputTokens(lengths) - mean) / mean).toBeLessThan(0.03);
    }
  });
});

describe('zipfMeanRank', () => {
  const exact = (n: number, theta: number) => {
    let weights = 0;
    let weighted = 0;
    for (let r = 1; r <= n; r++) {
      weights += r ** -theta;
      weighted += r * r ** -theta;
    }
    return weighted / weights;
  };

  it('matches the exact sum over every rank, also past the ranks it sums term by term', () => {
    for (const n of [1, 2, 10, 1_000, 1_001, 1_002, 5_000, 300_000])
      for (const theta of [0.01, 0.5, 0.999, 1, 1.001, 1.5, 2, 3, 10]) {
        const expected = exact(n, theta);
        expect(Math.abs(zipfMeanRank(n, theta) - expected) / expected, `n=${n} θ=${theta}`).toBeLessThan(
          1e-9,
        );
      }
  });

  it('answers in constant time for 2^53 ranks (finding 1: the exact loop never ended)', () => {
    const started = performance.now();
    const mean = zipfMeanRank(Number.MAX_SAFE_INTEGER, 1);
    expect(performance.now() - started).toBeLessThan(20);
    // For θ = 1 the mean rank is about n / ln n.
    expect(mean / (Number.MAX_SAFE_INTEGER / Math.log(Number.MAX_SAFE_INTEGER))).toBeCloseTo(1, 1);
  });
});

describe('limitIssues', () => {
  const pathsOf = (c: RunConfig) => limitIssues(c, planRun(c)).map((issue) => issue.path);

  it('finds nothing wrong with a modest config', () => {
    expect(pathsOf(config({ arrivals: { type: 'poisson', qps: 5 }, duration_s: 60 }))).toEqual([]);
    expect(pathsOf(config({ arrivals: { type: 'concurrency', n: 16 }, requests: 500 }))).toEqual([]);
    expect(pathsOf(config({ arrivals: { type: 'trace', times_s: [0, 1, 2] } }))).toEqual([]);
  });

  it('too many requests: names max_requests and the field that sets the count', () => {
    const byRequests = config({ arrivals: { type: 'concurrency', n: 8 }, requests: 100_001 });
    const issues = limitIssues(byRequests, planRun(byRequests));
    expect(issues.map((i) => i.path)).toEqual([['workload', 'requests']]);
    expect(issues[0]?.message).toContain('max_requests');
    const byDuration = config(
      {
        arrivals: { type: 'constant', qps: 100 },
        lengths: { ...fixed, output_tokens: 1 },
        duration_s: 1_000,
      },
      { limits: { max_requests: 99_999 } },
    );
    expect(pathsOf(byDuration)).toEqual([['workload', 'duration_s']]);
  });

  it('open loop: max_concurrency below the number of shards is refused (each shard needs 1)', () => {
    const regions: RunConfigInput['regions'] = [
      { location: 'wnam', share: 1 },
      { location: 'weur', share: 1 },
    ];
    const open = (max: number) =>
      pathsOf(
        config(
          { arrivals: { type: 'poisson', qps: 0.1 }, requests: 5 },
          { regions, limits: { max_concurrency: max } },
        ),
      );
    expect(open(1)).toEqual([['limits', 'max_concurrency']]);
    expect(open(2)).toEqual([]);
  });

  it('the max_requests limit is inclusive', () => {
    const at = (requests: number) =>
      pathsOf(
        config({ arrivals: { type: 'concurrency', n: 1 }, requests }, { limits: { max_requests: 50 } }),
      );
    expect(at(50)).toEqual([]);
    expect(at(51)).toEqual([['workload', 'requests']]);
  });

  it('too high concurrency: closed loop names n, open loop the arrivals', () => {
    const closed = config({ arrivals: { type: 'concurrency', n: 2000 }, requests: 5000 });
    const issues = limitIssues(closed, planRun(closed));
    expect(issues.map((i) => i.path)).toEqual([['workload', 'arrivals', 'n']]);
    expect(issues[0]?.message).toContain('max_concurrency');
    // 500 req/s of 200-token outputs at 0.05 s per token: ~5000 in flight.
    const open = config(
      { arrivals: { type: 'poisson', qps: 500 }, lengths: { ...fixed, output_tokens: 200 }, duration_s: 10 },
      { streams_per_shard: 1000 },
    );
    expect(pathsOf(open)).toEqual([['workload', 'arrivals']]);
    expect(
      pathsOf(
        config(
          { arrivals: { type: 'concurrency', n: 2000 }, requests: 5000 },
          { limits: { max_concurrency: 2000 }, streams_per_shard: 100 },
        ),
      ),
    ).toEqual([]);
  });

  it('too long duration: names max_duration_s and the field that sets the length', () => {
    const long = config({ arrivals: { type: 'poisson', qps: 1 }, duration_s: 7200 });
    const issues = limitIssues(long, planRun(long));
    expect(issues.map((i) => i.path)).toEqual([['workload', 'duration_s']]);
    expect(issues[0]?.message).toContain('max_duration_s');
    // 10 000 requests at 1 req/s take ~10 000 s.
    expect(pathsOf(config({ arrivals: { type: 'constant', qps: 1 }, requests: 10_000 }))).toEqual([
      ['workload', 'requests'],
    ]);
  });

  it('a run timeout beyond the duration limit plus one request is rejected', () => {
    expect(
      pathsOf(
        config({ arrivals: { type: 'poisson', qps: 1 }, duration_s: 10 }, { timeouts: { run_s: 80_000 } }),
      ),
    ).toEqual([['timeouts', 'run_s']]);
  });

  it('more than 256 shards are rejected', () => {
    const regions = LOCATION_HINTS.slice(0, 5).map((location) => ({ location, shards: 64 }));
    expect(pathsOf(config({ arrivals: { type: 'poisson', qps: 1 }, duration_s: 10 }, { regions }))).toEqual([
      ['regions'],
    ]);
  });

  it('reports every exceeded limit at once', () => {
    const c = config(
      { arrivals: { type: 'concurrency', n: 5000 }, requests: 1_000_000 },
      { timeouts: { run_s: 86_400 } },
    );
    expect(pathsOf(c)).toEqual(
      expect.arrayContaining([
        ['workload', 'arrivals', 'n'],
        ['workload', 'requests'],
        ['timeouts', 'run_s'],
      ]),
    );
  });
});

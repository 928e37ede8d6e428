import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLoopOffsetsUs } from '../workload/arrivals.ts';
import { createLengthSampler } from '../workload/lengths.ts';
import { createRandom } from '../workload/seeded-random.ts';
import {
  CONCURRENCY,
  DURATION_S,
  GAMMA_CV,
  MAX_EXTRA_BODY_CHARS,
  MAX_EXTRA_BODY_DEPTH,
  MAX_EXTRA_HEADERS,
  MAX_OUTPUT_TOKENS,
  MAX_PROMPT_TOKENS,
  MAX_PROMPT_TOKENS_IN_FLIGHT_PER_SHARD,
  MAX_TOTAL_TOKENS,
  PREFILL_TO_DECODE_RATIO,
  QPS,
  REQUESTS,
  TRACE_SCALE,
  ZIPF_THETA,
} from './config-bounds.ts';
import { type RunConfigInput, runConfigSchema } from './run-config.ts';
import { limitIssues, planRun } from './run-plan.ts';

const base = {
  target: { api: 'openai-chat', base_url: 'http://127.0.0.1:9/v1', model: 'm' },
  workload: {
    arrivals: { type: 'constant', qps: 1 },
    lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 4 },
    requests: 2,
  },
} satisfies RunConfigInput;

const withLengths = (lengths: unknown) => ({ ...base, workload: { ...base.workload, lengths } });
const withTarget = (extra: Record<string, unknown>) => ({ ...base, target: { ...base.target, ...extra } });

/** The paths (dotted) of every issue, or [] when the config is accepted. */
function issuePaths(input: unknown): string[] {
  const parsed = runConfigSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.path.join('.'));
}

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe('finding 1: a zipf over 2^53 tokens', () => {
  const zipf = {
    type: 'zipf',
    min_tokens: 2,
    max_tokens: Number.MAX_SAFE_INTEGER,
    prefill_to_decode_ratio: 1,
    theta: 1,
  };

  it('is refused by the schema at lengths.max_tokens', () => {
    expect(issuePaths(withLengths(zipf))).toContain('workload.lengths.max_tokens');
  });

  it('plans in milliseconds at the largest total the schema accepts', () => {
    const config = runConfigSchema.parse(withLengths({ ...zipf, max_tokens: MAX_TOTAL_TOKENS, theta: 0.01 }));
    const started = performance.now();
    const plan = planRun(config);
    limitIssues(config, plan);
    expect(performance.now() - started).toBeLessThan(50);
    expect(plan.expectedConcurrency).toBeGreaterThan(0);
  });
});

describe('finding 2: prompts and scales past what a Worker can build', () => {
  it('refuses a fixed prompt of 2^53 tokens and the first length past each bound', () => {
    const fixed = (prompt_tokens: number, output_tokens: number) =>
      issuePaths(withLengths({ type: 'fixed', prompt_tokens, output_tokens }));
    expect(fixed(Number.MAX_SAFE_INTEGER, 4)).toEqual(['workload.lengths.prompt_tokens']);
    expect(fixed(MAX_PROMPT_TOKENS + 1, 4)).toEqual(['workload.lengths.prompt_tokens']);
    expect(fixed(4, MAX_OUTPUT_TOKENS + 1)).toEqual(['workload.lengths.output_tokens']);
    expect(fixed(MAX_PROMPT_TOKENS, MAX_OUTPUT_TOKENS)).toEqual([]);
  });

  it('refuses trace scales past the bound, and rows that scaling pushes past the token bounds', () => {
    const trace = (extra: Record<string, unknown>) =>
      issuePaths(withLengths({ type: 'trace', rows: [[10, 10]], ...extra }));
    expect(trace({ prefill_scale: 1e300 })).toEqual(['workload.lengths.prefill_scale']);
    expect(trace({ decode_scale: TRACE_SCALE.max * 2 })).toEqual(['workload.lengths.decode_scale']);
    expect(trace({ prefill_scale: TRACE_SCALE.max })).toEqual([]);
    const big = issuePaths(
      withLengths({
        type: 'trace',
        rows: [
          [10, 10],
          [MAX_PROMPT_TOKENS, 1],
        ],
        prefill_scale: 2,
      }),
    );
    expect(big).toEqual(['workload.lengths.rows.1']);
    // The cut to max_tokens brings the same rows back inside the bounds.
    expect(
      issuePaths(
        withLengths({ type: 'trace', rows: [[MAX_PROMPT_TOKENS, 1]], prefill_scale: 2, max_tokens: 1000 }),
      ),
    ).toEqual([]);
  });

  it('refuses a synthetic total whose split exceeds the prompt or output bound', () => {
    const uniform = (max_tokens: number, prefill_to_decode_ratio: number) =>
      issuePaths(withLengths({ type: 'uniform', min_tokens: 2, max_tokens, prefill_to_decode_ratio }));
    expect(uniform(MAX_TOTAL_TOKENS, 1)).toEqual([]);
    expect(uniform(MAX_TOTAL_TOKENS, 100)).toEqual(['workload.lengths.max_tokens']);
    expect(uniform(MAX_TOTAL_TOKENS, 0.01)).toEqual(['workload.lengths.max_tokens']);
    expect(uniform(MAX_TOTAL_TOKENS + 1, 1)).toContain('workload.lengths.max_tokens');
    expect(uniform(10, PREFILL_TO_DECODE_RATIO.max * 10)).toEqual([
      'workload.lengths.prefill_to_decode_ratio',
    ]);
  });
});

describe('prompt tokens in flight per shard', () => {
  it('refuses long prompts at many streams per shard, and accepts them spread over more shards', () => {
    const config = (streams_per_shard: number, prompt_tokens: number) =>
      runConfigSchema.parse({
        ...base,
        workload: {
          arrivals: { type: 'concurrency', n: 32 },
          lengths: { type: 'fixed', prompt_tokens, output_tokens: 10 },
          requests: 64,
        },
        streams_per_shard,
      });
    const paths = (c: ReturnType<typeof config>) => limitIssues(c, planRun(c)).map((i) => i.path.join('.'));
    expect(paths(config(32, MAX_PROMPT_TOKENS))).toEqual(['workload.lengths']);
    expect(paths(config(32, MAX_PROMPT_TOKENS_IN_FLIGHT_PER_SHARD / 32))).toEqual([]);
    expect(paths(config(32, MAX_PROMPT_TOKENS_IN_FLIGHT_PER_SHARD / 32 + 1))).toEqual(['workload.lengths']);
    // 1M-token prompts at 8 streams per shard (4 shards) fit.
    expect(paths(config(8, MAX_PROMPT_TOKENS))).toEqual([]);
  });
});

describe('finding 3: extra_body nesting and size, extra_headers', () => {
  it('refuses extra_body deeper than the cap, accepts it at the cap, without overflowing the stack', () => {
    expect(issuePaths(withTarget({ extra_body: nested(MAX_EXTRA_BODY_DEPTH) }))).toEqual([]);
    expect(issuePaths(withTarget({ extra_body: nested(MAX_EXTRA_BODY_DEPTH + 1) }))).toEqual([
      'target.extra_body',
    ]);
    expect(issuePaths(withTarget({ extra_body: nested(3_000) }))).toEqual(['target.extra_body']);
    expect(issuePaths(withTarget({ extra_body: nested(200_000) }))).toEqual(['target.extra_body']);
  });

  it('refuses extra_body above its size cap and too many or too long headers', () => {
    const long = 'x'.repeat(MAX_EXTRA_BODY_CHARS);
    expect(issuePaths(withTarget({ extra_body: { long } }))).toEqual(['target.extra_body']);
    const headers = Object.fromEntries(
      Array.from({ length: MAX_EXTRA_HEADERS + 1 }, (_, i) => [`x-h${i}`, 'v']),
    );
    expect(issuePaths(withTarget({ extra_headers: headers }))).toEqual(['target.extra_headers']);
    expect(issuePaths(withTarget({ extra_headers: { 'x-long': 'v'.repeat(10_000) } }))).toEqual([
      'target.extra_headers.x-long',
    ]);
    expect(issuePaths(withTarget({ model: 'm'.repeat(10_000) }))).toEqual(['target.model']);
  });
});

describe('bounds of rates, counts and durations', () => {
  it('refuses each number just past its bound, naming the path', () => {
    const cases: [unknown, string][] = [
      [{ ...base.workload, arrivals: { type: 'constant', qps: QPS.max * 2 } }, 'workload.arrivals.qps'],
      [{ ...base.workload, arrivals: { type: 'poisson', qps: QPS.min / 2 } }, 'workload.arrivals.qps'],
      [
        { ...base.workload, arrivals: { type: 'gamma', qps: 1, cv: GAMMA_CV.max * 2 } },
        'workload.arrivals.cv',
      ],
      [
        { ...base.workload, arrivals: { type: 'concurrency', n: CONCURRENCY.max + 1 } },
        'workload.arrivals.n',
      ],
      [{ ...base.workload, requests: REQUESTS.max + 1 }, 'workload.requests'],
      [{ ...base.workload, duration_s: DURATION_S.max * 2 }, 'workload.duration_s'],
      [{ ...base.workload, arrivals: { type: 'trace', times_s: [0, 1e300] } }, 'workload.arrivals.times_s.1'],
      [
        {
          ...base.workload,
          lengths: { type: 'zipf', min_tokens: 2, max_tokens: 9, prefill_to_decode_ratio: 1, theta: 1e6 },
        },
        'workload.lengths.theta',
      ],
    ];
    for (const [workload, path] of cases) expect(issuePaths({ ...base, workload }), path).toEqual([path]);
    expect(issuePaths({ ...base, deadlines: { tbt_s: 1e-9 } })).toEqual(['deadlines.tbt_s']);
    expect(issuePaths({ ...base, regions: [{ location: 'wnam', share: 1e300 }] })).toEqual([
      'regions.0.share',
    ]);
    expect(issuePaths({ ...base, timeouts: { run_s: 1e300 } })).toEqual(['timeouts.run_s']);
  });

  it('plans every config the schema accepts in bounded time, extremes included', () => {
    const pick = (bound: { min: number; max: number }, integer = false) =>
      fc.oneof(
        fc.constant(bound.min),
        fc.constant(bound.max),
        integer
          ? fc.integer({ min: bound.min, max: bound.max })
          : fc.double({ min: bound.min, max: bound.max, noNaN: true }),
      );
    const arrivals = fc.oneof(
      pick(QPS).map((qps) => ({ type: 'constant', qps })),
      fc.tuple(pick(QPS), pick(GAMMA_CV)).map(([qps, cv]) => ({ type: 'gamma', qps, cv })),
      pick(CONCURRENCY, true).map((n) => ({ type: 'concurrency', n })),
    );
    const lengths = fc.oneof(
      fc
        .tuple(pick({ min: 2, max: MAX_TOTAL_TOKENS }, true), pick(ZIPF_THETA))
        .map(([max_tokens, theta]) => ({
          type: 'zipf',
          min_tokens: 2,
          max_tokens,
          prefill_to_decode_ratio: 2,
          theta,
        })),
      fc
        .tuple(pick({ min: 1, max: MAX_PROMPT_TOKENS }, true), pick({ min: 1, max: MAX_OUTPUT_TOKENS }, true))
        .map(([prompt_tokens, output_tokens]) => ({ type: 'fixed', prompt_tokens, output_tokens })),
    );
    fc.assert(
      fc.property(arrivals, lengths, pick(DURATION_S), (arrivals, lengths, duration_s) => {
        const parsed = runConfigSchema.safeParse({
          ...base,
          workload: { arrivals, lengths, duration_s, requests: REQUESTS.max },
        });
        if (!parsed.success) return; // some splits exceed the prompt bound: refused, nothing to plan
        const started = performance.now();
        const plan = planRun(parsed.data);
        const issues = limitIssues(parsed.data, plan);
        expect(performance.now() - started).toBeLessThan(200);
        expect(Number.isFinite(plan.expectedConcurrency)).toBe(true);
        expect(issues).toBeInstanceOf(Array);
      }),
      { numRuns: 200 },
    );
  });
});

describe('generators at the extreme bounds', () => {
  it('zipf lengths stay within [min, max] and the token bounds at the extreme exponents', () => {
    for (const theta of [ZIPF_THETA.min, 1, ZIPF_THETA.max]) {
      const config = runConfigSchema.parse(
        withLengths({
          type: 'zipf',
          min_tokens: 2,
          max_tokens: MAX_TOTAL_TOKENS,
          prefill_to_decode_ratio: 1,
          theta,
        }),
      );
      const sample = createLengthSampler(config.workload.lengths, createRandom(1, 2));
      for (let i = 0; i < 2_000; i++) {
        const { promptTokens, outputTokens } = sample(i);
        expect(promptTokens).toBeLessThanOrEqual(MAX_PROMPT_TOKENS);
        expect(outputTokens).toBeLessThanOrEqual(MAX_OUTPUT_TOKENS);
        expect(promptTokens + outputTokens).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('gamma and constant offsets are finite, non-decreasing integers at the extreme qps and cv', () => {
    for (const qps of [QPS.min, QPS.max])
      for (const arrivals of [
        { type: 'constant' as const, qps },
        { type: 'gamma' as const, qps, cv: GAMMA_CV.min },
        { type: 'gamma' as const, qps, cv: GAMMA_CV.max },
      ]) {
        const offsets = openLoopOffsetsUs(arrivals, createRandom(3, 1));
        let previous = 0;
        for (let i = 0; i < 1_000; i++) {
          const offset = offsets.next().value as number;
          expect(Number.isSafeInteger(offset), JSON.stringify(arrivals)).toBe(true);
          expect(offset).toBeGreaterThanOrEqual(previous);
          previous = offset;
        }
      }
  });
});

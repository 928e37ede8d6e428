import { describe, expect, it } from 'vitest';
import { parseWorkload, workloadSchema } from './workload-config.ts';

const fixed = { type: 'fixed', prompt_tokens: 100, output_tokens: 50 };

function issues(input: unknown): string[] {
  const result = workloadSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('workloadSchema', () => {
  it('fills defaults', () => {
    expect(parseWorkload({ arrivals: { type: 'poisson', qps: 1 }, lengths: fixed, requests: 10 })).toEqual({
      arrivals: { type: 'poisson', qps: 1 },
      lengths: fixed,
      requests: 10,
      warmup: { requests: 0 },
      seed: 1,
      tokenizer: 'o200k_base',
    });
  });

  it('needs requests or duration_s, except for trace arrivals', () => {
    for (const arrivals of [
      { type: 'poisson', qps: 1 },
      { type: 'gamma', qps: 1, cv: 2 },
      { type: 'constant', qps: 1 },
      { type: 'concurrency', n: 4 },
    ]) {
      expect(issues({ arrivals, lengths: fixed })).toEqual([
        expect.stringMatching(/^requests: .*need requests and\/or duration_s/),
      ]);
      expect(issues({ arrivals, lengths: fixed, requests: 5 })).toEqual([]);
      expect(issues({ arrivals, lengths: fixed, duration_s: 0.5 })).toEqual([]);
    }
    expect(issues({ arrivals: { type: 'trace', times_s: [0, 1] }, lengths: fixed })).toEqual([]);
  });

  it('keeps warm-up shorter than the run', () => {
    const base = { arrivals: { type: 'concurrency', n: 2 }, lengths: fixed, requests: 10 };
    expect(issues({ ...base, warmup: { requests: 9 } })).toEqual([]);
    expect(issues({ ...base, warmup: { requests: 10 } })).toEqual([
      'warmup.requests: warmup.requests (10) must be less than requests (10)',
    ]);
  });

  it('rejects bad seeds, tokenizers and unknown keys', () => {
    const base = { arrivals: { type: 'poisson', qps: 1 }, lengths: fixed, requests: 1 };
    expect(issues({ ...base, seed: -1 })).toHaveLength(1);
    expect(issues({ ...base, seed: 2 ** 32 })).toHaveLength(1);
    expect(issues({ ...base, seed: 1.5 })).toHaveLength(1);
    expect(issues({ ...base, seed: 2 ** 32 - 1 })).toEqual([]);
    expect(issues({ ...base, tokenizer: 'llama3' })).toHaveLength(1);
    expect(issues({ ...base, request: 5 })).toHaveLength(1);
  });

  it('reports every issue at once in one Error', () => {
    const input = {
      arrivals: { type: 'poisson', qps: 0 },
      lengths: { type: 'uniform', min_tokens: 500, max_tokens: 100, prefill_to_decode_ratio: 1 },
      duration_s: -1,
      seed: 'x',
    };
    expect(() => parseWorkload(input)).toThrow(/invalid workload/);
    try {
      parseWorkload(input);
    } catch (error) {
      const message = (error as Error).message;
      for (const field of ['arrivals.qps', 'lengths.min_tokens', 'duration_s', 'seed']) {
        expect(message).toContain(field);
      }
    }
  });
});

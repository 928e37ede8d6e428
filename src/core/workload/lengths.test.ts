import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createLengthSampler,
  createZipfSampler,
  type Lengths,
  lengthsSchema,
  type RequestLengths,
  splitTotal,
} from './lengths.ts';
import { createRandom } from './seeded-random.ts';

function sample(input: unknown, count: number, seed = 1): RequestLengths[] {
  const sampler = createLengthSampler(lengthsSchema.parse(input), createRandom(seed));
  return Array.from({ length: count }, (_, i) => sampler(i));
}

const totals = (values: RequestLengths[]): number[] => values.map((v) => v.promptTokens + v.outputTokens);

describe('lengthsSchema', () => {
  it('names the field when min_tokens > max_tokens', () => {
    const common = { min_tokens: 300, max_tokens: 200, prefill_to_decode_ratio: 1 };
    for (const input of [
      { type: 'uniform', ...common },
      { type: 'zipf', ...common, theta: 1 },
    ]) {
      const result = lengthsSchema.safeParse(input);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['min_tokens']);
      expect(result.error?.issues[0]?.message).toMatch(/min_tokens \(300\) must be ≤ max_tokens \(200\)/);
    }
  });

  it('rejects bad values and fills trace defaults', () => {
    const bad = [
      { type: 'fixed', prompt_tokens: 0, output_tokens: 1 },
      { type: 'fixed', prompt_tokens: 1.5, output_tokens: 1 },
      { type: 'uniform', min_tokens: 1, max_tokens: 5, prefill_to_decode_ratio: 1 },
      { type: 'uniform', min_tokens: 2, max_tokens: 5, prefill_to_decode_ratio: 0 },
      { type: 'zipf', min_tokens: 2, max_tokens: 5, prefill_to_decode_ratio: 1, theta: 0 },
      { type: 'trace', rows: [] },
      { type: 'trace', rows: [[0, 1]] },
      { type: 'trace', rows: [[1, 1]], order: 'reversed' },
    ];
    for (const input of bad)
      expect(lengthsSchema.safeParse(input).success, JSON.stringify(input)).toBe(false);
    expect(lengthsSchema.parse({ type: 'trace', rows: [[3, 4]] })).toEqual({
      type: 'trace',
      rows: [[3, 4]],
      prefill_scale: 1,
      decode_scale: 1,
      order: 'random',
    });
  });
});

describe('splitTotal', () => {
  it('keeps the total and at least one token on each side for any ratio', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 1_000_000 }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        (total, r) => {
          const { promptTokens, outputTokens } = splitTotal(total, r);
          expect(promptTokens + outputTokens).toBe(total);
          expect(promptTokens).toBeGreaterThanOrEqual(1);
          expect(outputTokens).toBeGreaterThanOrEqual(1);
          // Within rounding (and the ≥ 1 clamp) of the exact share.
          expect(Math.abs(promptTokens - (total * r) / (1 + r))).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe('createLengthSampler', () => {
  it('fixed', () => {
    expect(sample({ type: 'fixed', prompt_tokens: 7, output_tokens: 3 }, 3)).toEqual(
      Array(3).fill({ promptTokens: 7, outputTokens: 3 }),
    );
  });

  it('uniform: totals cover [min, max] evenly and split by the ratio', () => {
    const values = sample(
      { type: 'uniform', min_tokens: 100, max_tokens: 199, prefill_to_decode_ratio: 3 },
      20_000,
    );
    const all = totals(values);
    expect(Math.min(...all)).toBe(100);
    expect(Math.max(...all)).toBe(199);
    const mean = all.reduce((sum, total) => sum + total, 0) / all.length;
    expect(Math.abs(mean - 149.5)).toBeLessThan(1);
    for (const { promptTokens, outputTokens } of values) {
      expect(Number.isInteger(promptTokens) && Number.isInteger(outputTokens)).toBe(true);
      expect(Math.abs(promptTokens / (promptTokens + outputTokens) - 0.75)).toBeLessThan(0.01);
    }
  });

  it('zipf: stays in bounds and favours small totals', () => {
    const values = totals(
      sample(
        { type: 'zipf', min_tokens: 50, max_tokens: 50_000, theta: 0.9, prefill_to_decode_ratio: 1 },
        20_000,
      ),
    );
    expect(values.every((total) => total >= 50 && total <= 50_000)).toBe(true);
    const count = (total: number) => values.filter((value) => value === total).length;
    expect(count(50)).toBeGreaterThan(count(51));
    expect(count(51)).toBeGreaterThan(count(55));
    const median = [...values].sort((a, b) => a - b)[values.length >> 1]!;
    expect(median).toBeLessThan(50_000 / 4);
  });

  it('is reproducible from the seed and changes with it', () => {
    const input = { type: 'zipf', min_tokens: 2, max_tokens: 4000, theta: 1.1, prefill_to_decode_ratio: 2 };
    expect(sample(input, 200, 4)).toEqual(sample(input, 200, 4));
    expect(sample(input, 200, 4)).not.toEqual(sample(input, 200, 5));
  });

  it('must be called in index order', () => {
    const sampler = createLengthSampler(
      lengthsSchema.parse({ type: 'fixed', prompt_tokens: 1, output_tokens: 1 }),
      createRandom(1),
    );
    sampler(0);
    expect(() => sampler(2)).toThrow(/expected 1/);
  });

  describe('trace', () => {
    const rows = [
      [10, 20],
      [30, 40],
      [50, 60],
      [70, 80],
      [90, 100],
    ];
    const asKey = (value: RequestLengths) => `${value.promptTokens}/${value.outputTokens}`;

    it('sequential replays rows in order and wraps around', () => {
      const values = sample({ type: 'trace', rows, order: 'sequential' }, 7).map(asKey);
      expect(values).toEqual(['10/20', '30/40', '50/60', '70/80', '90/100', '10/20', '30/40']);
    });

    it('random uses every row once per pass, in a different order each pass', () => {
      const values = sample({ type: 'trace', rows }, 5 * 40, 3).map(asKey);
      const passes: string[] = [];
      for (let pass = 0; pass < 40; pass++) {
        const slice = values.slice(pass * 5, pass * 5 + 5);
        expect([...slice].sort()).toEqual(rows.map(([p, o]) => `${p}/${o}`).sort());
        passes.push(slice.join(','));
      }
      expect(new Set(passes).size).toBeGreaterThan(10);
    });

    it('scales, rounds and keeps at least one token', () => {
      const values = sample(
        { type: 'trace', rows: [[10, 3]], prefill_scale: 0.25, decode_scale: 0.1, order: 'sequential' },
        1,
      );
      expect(values[0]).toEqual({ promptTokens: 3, outputTokens: 1 }); // 2.5 → 3, 0.3 → 1
    });

    it('cuts rows over max_tokens proportionally to exactly max_tokens', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 20_000 })), {
            minLength: 1,
            maxLength: 20,
          }),
          fc.integer({ min: 2, max: 8192 }),
          (traceRows, max) => {
            const lengths: Lengths = lengthsSchema.parse({
              type: 'trace',
              rows: traceRows,
              max_tokens: max,
              order: 'sequential',
            });
            const sampler = createLengthSampler(lengths, createRandom(1));
            traceRows.forEach(([prompt, output], i) => {
              const got = sampler(i);
              expect(got.promptTokens).toBeGreaterThanOrEqual(1);
              expect(got.outputTokens).toBeGreaterThanOrEqual(1);
              if (prompt + output <= max) {
                expect(got).toEqual({ promptTokens: prompt, outputTokens: output });
              } else {
                expect(got.promptTokens + got.outputTokens).toBe(max);
                expect(Math.abs(got.promptTokens - (prompt * max) / (prompt + output))).toBeLessThanOrEqual(
                  1,
                );
              }
            });
          },
        ),
      );
    });
  });
});

describe('createZipfSampler', () => {
  it.each([
    [10, 0.5],
    [10, 1],
    [10, 2.5],
    [1, 1],
  ])('n=%s theta=%s matches the exact probabilities k^-theta / H', (n, theta) => {
    const draw = createZipfSampler(n, theta);
    const random = createRandom(8);
    const samples = 40_000;
    const counts = new Array<number>(n + 1).fill(0);
    for (let i = 0; i < samples; i++) counts[draw(random)]!++;
    expect(counts[0]).toBe(0);
    let harmonic = 0;
    for (let k = 1; k <= n; k++) harmonic += k ** -theta;
    for (let k = 1; k <= n; k++) {
      const p = k ** -theta / harmonic;
      const sd = Math.sqrt((samples * p * (1 - p)) / samples ** 2);
      // Five standard errors, plus a little absolute slack for the rarest values.
      expect(Math.abs(counts[k]! / samples - p)).toBeLessThan(5 * sd + 1e-3);
    }
  });

  it('rejects bad parameters', () => {
    expect(() => createZipfSampler(0, 1)).toThrow();
    expect(() => createZipfSampler(5, 0)).toThrow();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FitPrefillPredictorOptions,
  fitPrefillPredictor,
  predictPrefillS,
  predictPrefillUs,
  prefillFitReport,
} from './prefill-predictor.ts';
import { type PredictorParams, type ProfileSample, predictorParamsSchema } from './prefill-profile.ts';

// The reference curve of the brief: prefill = 20 ms + 0.05 ms·L + 1e-6 ms·L², in seconds.
const A_S = 0.02;
const B_S = 5e-5;
const C_S = 1e-9;
const truePrefillS = (L: number) => A_S + B_S * L + C_S * L * L;
const LENGTHS = [256, 512, 1024, 2048, 4096, 8192, 16384];

/** Deterministic PRNG in [0, 1) so the noisy samples are reproducible. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Per length: the exact value plus four samples with network/queueing delay added (only upward). */
function noisyQuadraticSamples(): ProfileSample[] {
  const random = lcg(7);
  const samples: ProfileSample[] = [];
  for (const L of LENGTHS) {
    samples.push({ prompt_tokens: L, ttft_s: truePrefillS(L) + 0.001 + 0.05 * random() });
    samples.push({ prompt_tokens: L, ttft_s: truePrefillS(L) + 0.2 * random() });
    samples.push({ prompt_tokens: L, ttft_s: truePrefillS(L) });
    samples.push({ prompt_tokens: L, ttft_s: truePrefillS(L) + 0.5 });
  }
  return samples.reverse(); // order must not matter
}

const relClose = (actual: number, expected: number, rel: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));

describe('fitPrefillPredictor: known quadratic', () => {
  const params = fitPrefillPredictor(noisyQuadraticSamples());

  it('recovers the coefficients exactly from upward-noisy samples', () => {
    expect(params.kind).toBe('quadratic');
    if (params.kind !== 'quadratic') return;
    relClose(params.intercept_s, A_S, 1e-9);
    relClose(params.slope_s_per_token, B_S, 1e-9);
    relClose(params.curvature_s_per_token2, C_S, 1e-9);
    expect(params.max_profiled_tokens).toBe(16384);
    expect(params.fit.points).toBe(LENGTHS.length);
    expect(params.fit.max_abs_error_s).toBeLessThan(1e-12);
    expect(params.fit.rmse_s).toBeLessThan(1e-12);
    expect(params.fit.max_rel_error).toBeLessThan(1e-10);
  });

  it('predicts integer µs inside and beyond the profiled range', () => {
    expect(predictPrefillUs(params, 1000)).toBe(71_000); // 20 + 50 + 1 ms
    expect(predictPrefillUs(params, 0)).toBe(20_000);
    // 32768 tokens, twice the largest profiled length: keeps the quadratic growth.
    expect(predictPrefillUs(params, 32768)).toBe(Math.round(truePrefillS(32768) * 1e6));
    expect(Number.isInteger(predictPrefillUs(params, 777.5))).toBe(true);
  });

  it('piecewise-linear passes through the points and extrapolates with the last slope', () => {
    const pw = fitPrefillPredictor(noisyQuadraticSamples(), { kind: 'piecewise_linear' });
    expect(pw.kind).toBe('piecewise_linear');
    if (pw.kind !== 'piecewise_linear') return;
    expect(pw.fit.max_abs_error_s).toBeLessThan(1e-15);
    expect(pw.knots.map((k) => k.prompt_tokens)).toEqual(LENGTHS);
    const lastSlope = (truePrefillS(16384) - truePrefillS(8192)) / 8192;
    relClose(pw.tail_slope_s_per_token, lastSlope, 1e-9);
    relClose(predictPrefillS(pw, 24576), truePrefillS(16384) + lastSlope * 8192, 1e-12);
    // Between knots: linear interpolation.
    relClose(predictPrefillS(pw, 768), (truePrefillS(512) + truePrefillS(1024)) / 2, 1e-12);
  });
});

describe('fitPrefillPredictor: few points and awkward shapes', () => {
  it('one length gives a proportional predictor (not a constant), for both kinds', () => {
    for (const kind of ['auto', 'quadratic', 'piecewise_linear'] as const) {
      const p = fitPrefillPredictor(
        [
          { prompt_tokens: 256, ttft_s: 0.08 },
          { prompt_tokens: 256, ttft_s: 0.05 },
        ],
        { kind },
      );
      expect(predictPrefillS(p, 256)).toBeCloseTo(0.05, 15);
      expect(predictPrefillS(p, 512)).toBeCloseTo(0.1, 15);
      expect(predictPrefillS(p, 128)).toBeCloseTo(0.025, 15);
      expect(predictPrefillS(p, 0)).toBe(0);
      expect(p.fit).toEqual({ points: 1, max_abs_error_s: 0, rmse_s: 0, max_rel_error: 0 });
    }
  });

  it('two lengths on a line with positive intercept are fitted exactly', () => {
    const p = fitPrefillPredictor([
      { prompt_tokens: 1000, ttft_s: 0.1 },
      { prompt_tokens: 2000, ttft_s: 0.15 },
    ]);
    expect(p.kind).toBe('quadratic');
    if (p.kind !== 'quadratic') return;
    relClose(p.intercept_s, 0.05, 1e-9);
    relClose(p.slope_s_per_token, 5e-5, 1e-9);
    expect(p.curvature_s_per_token2).toBeLessThan(1e-20);
    expect(predictPrefillUs(p, 4000)).toBe(250_000);
  });

  it('two lengths that would need a negative intercept bend upwards instead', () => {
    const p = fitPrefillPredictor(
      [
        { prompt_tokens: 1000, ttft_s: 0.1 },
        { prompt_tokens: 2000, ttft_s: 0.3 },
      ],
      { kind: 'quadratic' },
    );
    if (p.kind !== 'quadratic') throw new Error('expected a quadratic');
    expect(p.intercept_s).toBe(0);
    relClose(p.curvature_s_per_token2, 5e-8, 1e-9);
    expect(p.fit.max_abs_error_s).toBeLessThan(1e-12);
  });

  it('decreasing minima give a flat fit in range that still grows beyond it', () => {
    const samples = [
      { prompt_tokens: 100, ttft_s: 0.5 },
      { prompt_tokens: 200, ttft_s: 0.4 },
      { prompt_tokens: 300, ttft_s: 0.3 },
    ];
    const q = fitPrefillPredictor(samples, { kind: 'quadratic' });
    if (q.kind !== 'quadratic') throw new Error('expected a quadratic');
    relClose(q.intercept_s, 0.4, 1e-12);
    expect([q.slope_s_per_token, q.curvature_s_per_token2]).toEqual([0, 0]);
    relClose(predictPrefillS(q, 600), 0.8, 1e-12); // flat fit: proportional floor 0.4 / 300 per token
    const auto = fitPrefillPredictor(samples);
    expect(auto.kind).toBe('piecewise_linear'); // 0.1 s off at the ends: outside the 5% tolerance
    relClose(predictPrefillS(auto, 150), 0.4, 1e-12);
    relClose(predictPrefillS(auto, 600), 0.8, 1e-12);
  });

  it('auto falls back to piecewise-linear when the quadratic cannot follow the shape', () => {
    // Concave (square-root) growth: a quadratic with b, c ≥ 0 misses the short prompts badly.
    const samples = LENGTHS.map((L) => ({ prompt_tokens: L, ttft_s: 0.1 * Math.sqrt(L / 256) }));
    const q = fitPrefillPredictor(samples, { kind: 'quadratic' });
    expect(q.fit.max_rel_error).toBeGreaterThan(0.05);
    const auto = fitPrefillPredictor(samples);
    expect(auto.kind).toBe('piecewise_linear');
    expect(auto.fit.max_abs_error_s).toBeLessThan(1e-15);
    // A loose enough tolerance keeps the quadratic.
    expect(fitPrefillPredictor(samples, { autoRelTolerance: 10 }).kind).toBe('quadratic');
  });

  it('prefillFitReport recomputes the stored report', () => {
    const samples = noisyQuadraticSamples();
    const p = fitPrefillPredictor(samples, { kind: 'piecewise_linear' });
    expect(prefillFitReport(p, samples)).toEqual(p.fit);
  });
});

const sampleArb = fc.record({
  prompt_tokens: fc.integer({ min: 1, max: 20_000 }),
  ttft_s: fc.double({ min: 1e-4, max: 10, noNaN: true }),
});
const kindArb = fc.constantFrom<NonNullable<FitPrefillPredictorOptions['kind']>>(
  'auto',
  'quadratic',
  'piecewise_linear',
);
const lastLength = (samples: ProfileSample[]) => Math.max(...samples.map((s) => s.prompt_tokens));

describe('fitPrefillPredictor: properties', () => {
  it('is monotone non-decreasing for every L ≥ 0, in seconds and in µs', () => {
    fc.assert(
      fc.property(
        fc.array(sampleArb, { minLength: 1, maxLength: 30 }),
        kindArb,
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 50 }),
        (samples, kind, queries) => {
          const p = fitPrefillPredictor(samples, { kind });
          const sorted = [...queries, ...samples.map((s) => s.prompt_tokens)].sort((x, y) => x - y);
          for (let i = 1; i < sorted.length; i++) {
            expect(predictPrefillS(p, sorted[i]!)).toBeGreaterThanOrEqual(predictPrefillS(p, sorted[i - 1]!));
            expect(predictPrefillUs(p, sorted[i]!)).toBeGreaterThanOrEqual(
              predictPrefillUs(p, sorted[i - 1]!),
            );
          }
          expect(predictPrefillS(p, 0)).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });

  it('keeps growing at least linearly beyond the largest profiled length', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 30 }), kindArb, (samples, kind) => {
        const p = fitPrefillPredictor(samples, { kind });
        const L = lastLength(samples);
        const atL = predictPrefillS(p, L);
        const at10L = predictPrefillS(p, 10 * L);
        const step = predictPrefillS(p, 2 * L) - atL;
        expect(step).toBeGreaterThan(0);
        // Convex beyond the edge: nine more steps of L add at least nine times the first step.
        // Each prediction is a handful of roundings of non-negative terms (relative error ≤ 3ε),
        // so f(10L) − 9·f(2L) + 8·f(L) is exact to within 3ε·18·f(10L), plus ε·f(10L) for the
        // differences here: the slack is absolute, in units of the value, not of the step (a
        // flat-ish fit near 10 s grows by 1e-6 s per step and rounds at 2e-15 s).
        expect(at10L - atL).toBeGreaterThanOrEqual(9 * step - 64 * Number.EPSILON * at10L);
      }),
    );
  });

  it('a flat profile extrapolates proportionally for every kind, despite rounding in the fit', () => {
    // Equal minima at two lengths: the normal equations return a noise slope of ~1e-21 s/token for
    // the quadratic; before the tail floor looked at the data, its positive secant made the
    // prediction at 10× the largest length 0.10000000000000027 s instead of 1 s.
    for (const kind of ['auto', 'quadratic', 'piecewise_linear'] as const) {
      const p = fitPrefillPredictor(
        [
          { prompt_tokens: 100, ttft_s: 0.1 },
          { prompt_tokens: 20000, ttft_s: 0.1 },
        ],
        { kind },
      );
      relClose(predictPrefillS(p, 20000), 0.1, 1e-12);
      relClose(predictPrefillS(p, 200_000), 1, 1e-12);
    }
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 2_000_000 }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 1e-4, max: 100, noNaN: true }),
        kindArb,
        (lengths, ttft_s, kind) => {
          const p = fitPrefillPredictor(
            lengths.map((prompt_tokens) => ({ prompt_tokens, ttft_s })),
            { kind },
          );
          const L = Math.max(...lengths);
          relClose(predictPrefillS(p, 10 * L), 10 * predictPrefillS(p, L), 1e-9);
        },
      ),
    );
  });

  it('piecewise-linear passes through monotone minima exactly', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(sampleArb, { minLength: 1, maxLength: 30, selector: (s) => s.prompt_tokens }),
        (raw) => {
          const xs = raw.map((s) => s.prompt_tokens).sort((x, y) => x - y);
          const ys = raw.map((s) => s.ttft_s).sort((x, y) => x - y);
          const samples = xs.map((x, i) => ({ prompt_tokens: x, ttft_s: ys[i]! }));
          const p = fitPrefillPredictor(samples, { kind: 'piecewise_linear' });
          expect(p.fit.max_rel_error).toBeLessThan(1e-12);
        },
      ),
    );
  });

  it('the quadratic is the least-squares optimum among non-negative coefficients', () => {
    const coefficientArb = fc.tuple(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1e-3, noNaN: true }),
      fc.double({ min: 0, max: 1e-7, noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(sampleArb, { minLength: 1, maxLength: 20, selector: (s) => s.prompt_tokens }),
        coefficientArb,
        (samples, [a, b, c]) => {
          const p = fitPrefillPredictor(samples, { kind: 'quadratic' });
          const fitted = samples.reduce(
            (acc, s) => acc + (predictPrefillS(p, s.prompt_tokens) - s.ttft_s) ** 2,
            0,
          );
          const other = samples.reduce(
            (acc, s) => acc + (a + b * s.prompt_tokens + c * s.prompt_tokens ** 2 - s.ttft_s) ** 2,
            0,
          );
          expect(fitted).toBeLessThanOrEqual(other * (1 + 1e-9) + 1e-18);
        },
      ),
    );
  });

  it('params survive a JSON round trip through the schema and predict the same', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 20 }), kindArb, (samples, kind) => {
        const p = fitPrefillPredictor(samples, { kind });
        const back: PredictorParams = predictorParamsSchema.parse(JSON.parse(JSON.stringify(p)));
        expect(back).toEqual(p);
        for (const L of [0, 1, 300, lastLength(samples), 3 * lastLength(samples)]) {
          expect(predictPrefillUs(back, L)).toBe(predictPrefillUs(p, L));
        }
      }),
    );
  });
});

describe('bad input', () => {
  it('rejects no samples', () => {
    expect(() => fitPrefillPredictor([])).toThrow(/at least one profile sample is required/);
  });

  it('names the bad field and reports every issue at once', () => {
    const bad = [
      { prompt_tokens: 0, ttft_s: 0.1 },
      { prompt_tokens: 256, ttft_s: Number.NaN },
      { prompt_tokens: 1.5, ttft_s: -0.2 },
      { prompt_tokens: 512, ttft_s: Number.POSITIVE_INFINITY },
    ];
    let message = '';
    try {
      fitPrefillPredictor(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/prompt_tokens must be > 0\n\s+→ at samples\[0\]\.prompt_tokens/);
    expect(message).toMatch(/samples\[1\]\.ttft_s/);
    expect(message).toMatch(/prompt_tokens must be an integer\n\s+→ at samples\[2\]\.prompt_tokens/);
    expect(message).toMatch(/ttft_s must be > 0 s\n\s+→ at samples\[2\]\.ttft_s/);
    expect(message).toMatch(/samples\[3\]\.ttft_s/);
  });

  it('rejects bad options', () => {
    const ok = [{ prompt_tokens: 256, ttft_s: 0.05 }];
    expect(() => fitPrefillPredictor(ok, { kind: 'cubic' as 'auto' })).toThrow(/kind must be/);
    expect(() => fitPrefillPredictor(ok, { autoToleranceS: -1 })).toThrow(/autoToleranceS must be/);
    expect(() => fitPrefillPredictor(ok, { autoRelTolerance: Number.NaN })).toThrow(/autoRelTolerance/);
  });

  it('rejects a negative or non-finite prompt length when predicting', () => {
    const p = fitPrefillPredictor([{ prompt_tokens: 256, ttft_s: 0.05 }]);
    for (const L of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => predictPrefillUs(p, L)).toThrow(/promptTokens must be a finite number ≥ 0/);
    }
  });
});

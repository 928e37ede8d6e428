import { describe, expect, it } from 'vitest';
import { fitPrefillPredictor, predictPrefillS } from './prefill-predictor.ts';
import { minTtftPerLength, prefillProfileFileSchema, profileSampleSchema } from './prefill-profile.ts';
import { buildPrefillProfile, loadPrefillProfile } from './prefill-profile-file.ts';

const SAMPLES = [
  { prompt_tokens: 512, ttft_s: 0.09 },
  { prompt_tokens: 256, ttft_s: 0.07 },
  { prompt_tokens: 512, ttft_s: 0.06 },
  { prompt_tokens: 256, ttft_s: 0.04 },
  { prompt_tokens: 1024, ttft_s: 0.11 },
  { prompt_tokens: 256, ttft_s: 0.05 },
];

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('minTtftPerLength', () => {
  it('keeps the minimum TTFT of each length, sorted by length', () => {
    expect(minTtftPerLength(SAMPLES)).toEqual([
      { prompt_tokens: 256, ttft_s: 0.04 },
      { prompt_tokens: 512, ttft_s: 0.06 },
      { prompt_tokens: 1024, ttft_s: 0.11 },
    ]);
  });

  it('rejects bad samples, naming the field', () => {
    expect(() => minTtftPerLength([])).toThrow(/at least one profile sample/);
    expect(messageOf(() => minTtftPerLength([{ prompt_tokens: -3, ttft_s: 0 }]))).toMatch(
      /prompt_tokens must be > 0[\s\S]*samples\[0\]\.prompt_tokens[\s\S]*ttft_s must be > 0 s[\s\S]*samples\[0\]\.ttft_s/,
    );
  });
});

describe('profile sample schema', () => {
  it('accepts a good sample and rejects unknown keys (e.g. a millisecond field)', () => {
    expect(profileSampleSchema.parse({ prompt_tokens: 256, ttft_s: 0.05 })).toEqual({
      prompt_tokens: 256,
      ttft_s: 0.05,
    });
    expect(profileSampleSchema.safeParse({ prompt_tokens: 256, ttft_s: 0.05, ttft_ms: 50 }).success).toBe(
      false,
    );
  });
});

describe('profile file', () => {
  it('fits a predictor on load when the file has none', () => {
    const loaded = loadPrefillProfile({ samples: SAMPLES, model: 'provenance keys are ignored' });
    expect(loaded.predictorSource).toBe('fitted');
    expect(loaded.predictor).toEqual(fitPrefillPredictor(SAMPLES));
    expect(loaded.samples).toEqual(SAMPLES);
  });

  it('uses a stored predictor as stored, even when a refit would differ', () => {
    const stored = {
      kind: 'piecewise_linear',
      knots: [
        { prompt_tokens: 100, prefill_s: 1 },
        { prompt_tokens: 200, prefill_s: 2 },
      ],
      tail_slope_s_per_token: 0.5,
      fit: { points: 2, max_abs_error_s: 0.9, rmse_s: 0.8, max_rel_error: 7 },
    } as const;
    const loaded = loadPrefillProfile({ samples: SAMPLES, predictor: stored });
    expect(loaded.predictorSource).toBe('stored');
    expect(loaded.predictor).toEqual(stored);
    expect(predictPrefillS(loaded.predictor, 150)).toBe(1.5);
    expect(predictPrefillS(loaded.predictor, 202)).toBe(3);
  });

  it('survives a JSON round trip: build, stringify, load', () => {
    for (const kind of ['quadratic', 'piecewise_linear'] as const) {
      const built = buildPrefillProfile(SAMPLES, { kind });
      const loaded = loadPrefillProfile(JSON.parse(JSON.stringify(built)));
      expect(loaded.predictorSource).toBe('stored');
      expect(loaded.predictor).toEqual(built.predictor);
      expect(loaded.predictor.kind).toBe(kind);
      expect(prefillProfileFileSchema.parse(built)).toEqual(built);
    }
  });

  it('reports every problem in a bad file at once', () => {
    const message = messageOf(() =>
      loadPrefillProfile({
        samples: [{ prompt_tokens: 256, ttft_s: 'fast' }],
        predictor: {
          kind: 'quadratic',
          intercept_s: -0.01,
          slope_s_per_token: 1e-5,
          curvature_s_per_token2: 0,
          max_profiled_tokens: 256,
          tail_slope_floor_s_per_token: 0,
          fit: { points: 1, max_abs_error_s: 0, rmse_s: 0, max_rel_error: 0 },
        },
      }),
    );
    expect(message).toMatch(/^invalid prefill profile:/);
    expect(message).toMatch(/samples\[0\]\.ttft_s/);
    expect(message).toMatch(/predictor\.intercept_s/);
    expect(message).toMatch(/keeps growing[\s\S]*predictor\.tail_slope_floor_s_per_token/);
  });

  it('rejects a missing sample list, an unknown predictor kind and disordered knots', () => {
    expect(messageOf(() => loadPrefillProfile({}))).toMatch(/→ at samples/);
    expect(messageOf(() => loadPrefillProfile({ samples: SAMPLES, predictor: { kind: 'forest' } }))).toMatch(
      /predictor\.kind/,
    );
    const message = messageOf(() =>
      loadPrefillProfile({
        samples: SAMPLES,
        predictor: {
          kind: 'piecewise_linear',
          knots: [
            { prompt_tokens: 200, prefill_s: 2 },
            { prompt_tokens: 200, prefill_s: 1 },
          ],
          tail_slope_s_per_token: 0.1,
          fit: { points: 2, max_abs_error_s: 0, rmse_s: 0, max_rel_error: 0 },
        },
      }),
    );
    expect(message).toMatch(/must increase strictly[\s\S]*predictor\.knots\[1\]\.prompt_tokens/);
    expect(message).toMatch(/must not decrease[\s\S]*predictor\.knots\[1\]\.prefill_s/);
  });

  it('buildPrefillProfile rejects bad samples', () => {
    expect(() => buildPrefillProfile([{ prompt_tokens: 256, ttft_s: -1 }])).toThrow(/samples\[0\]\.ttft_s/);
  });
});

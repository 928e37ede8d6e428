import { z } from 'zod';

// The prefill profile (docs/metrics.md#where-the-deadlines-come-from): minimum TTFT per prompt length, and the predictor fitted to it.
// Everything here is plain JSON so a profile can be written by `fluidbench profile` and read back
// by `fluidbench analyze --prefill-profile FILE`.

/** One single-request measurement at concurrency 1 with a short output. */
export const profileSampleSchema = z.strictObject({
  prompt_tokens: z
    .number({ error: 'prompt_tokens must be a number' })
    .int({ error: 'prompt_tokens must be an integer' })
    .positive({ error: 'prompt_tokens must be > 0' }),
  ttft_s: z
    .number({ error: 'ttft_s must be a finite number of seconds' })
    .positive({ error: 'ttft_s must be > 0 s' }),
});
export type ProfileSample = z.infer<typeof profileSampleSchema>;

const profileSamplesSchema = z
  .array(profileSampleSchema)
  .min(1, { error: 'at least one profile sample is required' });

/** How closely a predictor passes through the per-length minimum TTFTs it was fitted to. */
export const fitReportSchema = z.strictObject({
  /** Distinct prompt lengths (one minimum TTFT each). */
  points: z.number().int().positive(),
  max_abs_error_s: z.number().nonnegative(),
  rmse_s: z.number().nonnegative(),
  /** max |predicted − measured| / measured. */
  max_rel_error: z.number().nonnegative(),
});
export type FitReport = z.infer<typeof fitReportSchema>;

const nonNegativeS = z.number({ error: 'expected a finite number' }).nonnegative();
const positiveSlope = z.number({ error: 'expected a finite number' }).positive({
  error: 'must be > 0 so the prediction keeps growing beyond the profiled lengths',
});

/**
 * prefill(L) = intercept_s + slope_s_per_token·L + curvature_s_per_token2·L², all coefficients ≥ 0
 * so it is monotone for L ≥ 0. Beyond `max_profiled_tokens` the slope is raised to at least
 * `tail_slope_floor_s_per_token` (only matters when the fit is flat there).
 */
const quadraticPredictorSchema = z.strictObject({
  kind: z.literal('quadratic'),
  intercept_s: nonNegativeS,
  slope_s_per_token: nonNegativeS,
  curvature_s_per_token2: nonNegativeS,
  max_profiled_tokens: z.number().int().positive(),
  tail_slope_floor_s_per_token: positiveSlope,
  fit: fitReportSchema,
});
export type QuadraticPredictor = z.infer<typeof quadraticPredictorSchema>;

const knotSchema = z.strictObject({
  prompt_tokens: z.number().int().nonnegative(),
  prefill_s: nonNegativeS,
});

/**
 * Linear interpolation between knots (the isotonic regression of the per-length minima). Below the
 * first knot the first segment continues down (floored at 0); beyond the last knot the prediction
 * grows linearly with `tail_slope_s_per_token`.
 */
const piecewiseLinearPredictorSchema = z.strictObject({
  kind: z.literal('piecewise_linear'),
  knots: z
    .array(knotSchema)
    .min(1, { error: 'at least one knot is required' })
    .superRefine((knots, ctx) => {
      for (let i = 1; i < knots.length; i++) {
        const prev = knots[i - 1]!;
        const knot = knots[i]!;
        if (knot.prompt_tokens <= prev.prompt_tokens) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'prompt_tokens'],
            message: `knot prompt_tokens must increase strictly: ${knot.prompt_tokens} after ${prev.prompt_tokens}`,
          });
        }
        if (knot.prefill_s < prev.prefill_s) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'prefill_s'],
            message: `knot prefill_s must not decrease: ${knot.prefill_s} after ${prev.prefill_s}`,
          });
        }
      }
    }),
  tail_slope_s_per_token: positiveSlope,
  fit: fitReportSchema,
});
export type PiecewiseLinearPredictor = z.infer<typeof piecewiseLinearPredictorSchema>;

/** Serialisable predictor parameters; new kinds join the union on `kind`. */
export const predictorParamsSchema = z.discriminatedUnion('kind', [
  quadraticPredictorSchema,
  piecewiseLinearPredictorSchema,
]);
export type PredictorParams = z.infer<typeof predictorParamsSchema>;
export type PredictorKind = PredictorParams['kind'];

/**
 * The file passed to `fluidbench analyze --prefill-profile FILE`. Without `predictor` one is
 * fitted on load; with it, it is used as stored. Other top-level keys (provenance written by the
 * profiler, say) are ignored.
 */
export const prefillProfileFileSchema = z.object({
  samples: profileSamplesSchema,
  predictor: predictorParamsSchema.optional(),
});
export type PrefillProfileFile = z.infer<typeof prefillProfileFileSchema>;

/** Validates `value` against `schema`, throwing one Error that lists every issue. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`invalid ${what}:\n${z.prettifyError(result.error)}`);
  return result.data;
}

const samplesInputSchema = z.object({ samples: profileSamplesSchema });

/** Throws an Error naming every bad field when `samples` is empty or holds a bad sample. */
function assertProfileSamples(samples: readonly ProfileSample[]): void {
  parseOrThrow(samplesInputSchema, { samples }, 'prefill profile samples');
}

/**
 * The minimum TTFT for each distinct prompt length, sorted by length. TTFT includes network and
 * queueing delays, which only ever add time, so the minimum is the best estimate of pure prefill.
 */
export function minTtftPerLength(samples: readonly ProfileSample[]): ProfileSample[] {
  assertProfileSamples(samples);
  const minByLength = new Map<number, number>();
  for (const { prompt_tokens, ttft_s } of samples) {
    const seen = minByLength.get(prompt_tokens);
    if (seen === undefined || ttft_s < seen) minByLength.set(prompt_tokens, ttft_s);
  }
  return [...minByLength]
    .map(([prompt_tokens, ttft_s]) => ({ prompt_tokens, ttft_s }))
    .sort((x, y) => x.prompt_tokens - y.prompt_tokens);
}

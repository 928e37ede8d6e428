import { type FitPrefillPredictorOptions, fitPrefillPredictor } from './prefill-predictor.ts';
import {
  type PredictorParams,
  type PrefillProfileFile,
  type ProfileSample,
  parseOrThrow,
  prefillProfileFileSchema,
} from './prefill-profile.ts';

// Reading and writing the profile file (`fluidbench analyze --prefill-profile FILE`).

export interface LoadedPrefillProfile {
  samples: ProfileSample[];
  predictor: PredictorParams;
  /** `stored`: taken from the file as is; `fitted`: the file had none, so one was fitted on load. */
  predictorSource: 'stored' | 'fitted';
}

/**
 * Validates parsed JSON as a profile file (every issue reported in one Error) and returns its
 * predictor: the stored one when present, otherwise one fitted to the samples with `options`.
 */
export function loadPrefillProfile(
  json: unknown,
  options: FitPrefillPredictorOptions = {},
): LoadedPrefillProfile {
  const file = parseOrThrow(prefillProfileFileSchema, json, 'prefill profile');
  if (file.predictor !== undefined) {
    return { samples: file.samples, predictor: file.predictor, predictorSource: 'stored' };
  }
  return {
    samples: file.samples,
    predictor: fitPrefillPredictor(file.samples, options),
    predictorSource: 'fitted',
  };
}

/** The file the profiler writes: the raw samples and the predictor fitted to them. */
export function buildPrefillProfile(
  samples: readonly ProfileSample[],
  options: FitPrefillPredictorOptions = {},
): PrefillProfileFile {
  const predictor = fitPrefillPredictor(samples, options); // validates the samples
  return { samples: samples.map(({ prompt_tokens, ttft_s }) => ({ prompt_tokens, ttft_s })), predictor };
}

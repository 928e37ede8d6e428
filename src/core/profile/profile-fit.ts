import { interTokenTimesUs } from '../metrics/token-times.ts';
import { usToS } from '../metrics/units.ts';
import type { RequestRecord } from '../record/request-record.ts';
import {
  type FitReport,
  minTtftPerLength,
  type PrefillProfileFile,
  type ProfileSample,
} from './prefill-profile.ts';
import { buildPrefillProfile } from './prefill-profile-file.ts';

// From a profile run's records to the profile file (`fluidbench analyze --prefill-profile FILE`).

export interface FittedProfile {
  /** Exactly the file `analyze --prefill-profile` reads: every sample and the predictor fitted to them. */
  file: PrefillProfileFile;
  /** The minimum TTFT per prompt length the predictor was fitted to, ascending. */
  minima: ProfileSample[];
  /** The predictor's error against those minima (also inside `file.predictor.fit`). */
  fit: FitReport;
}

/**
 * One sample per successful request that produced a token: its prompt length and TTFT. Failed
 * requests and warm-up are not prefill measurements; a TTFT of 0 (a clock that did not move) says
 * nothing about prefill either.
 */
export function profileSamples(records: Iterable<RequestRecord & { warmup?: boolean }>): ProfileSample[] {
  const samples: ProfileSample[] = [];
  for (const record of records) {
    if (record.outcome !== 'ok' || record.warmup === true) continue;
    const ttftUs = interTokenTimesUs(record.chunks)[0];
    if (ttftUs === undefined || ttftUs <= 0) continue;
    samples.push({ prompt_tokens: record.prompt_tokens, ttft_s: usToS(ttftUs) });
  }
  return samples;
}

/** The fitted profile, or why there is none (no successful request with a token). */
export function fitProfile(
  records: Iterable<RequestRecord & { warmup?: boolean }>,
): { ok: true; profile: FittedProfile } | { ok: false; reason: string } {
  const samples = profileSamples(records);
  if (samples.length === 0)
    return { ok: false, reason: 'no request of the profile run succeeded with a token: nothing to fit' };
  const file = buildPrefillProfile(samples);
  return { ok: true, profile: { file, minima: minTtftPerLength(samples), fit: file.predictor!.fit } };
}

import { z } from 'zod';
import { sToUs } from './units.ts';

/**
 * Deadlines for the fluidity-index (docs/metrics.md#where-the-deadlines-come-from). Defaults: TTFT 0.3 s (etalon's README; its code
 * says 0.1 s), TBT 0.05 s and a 10% target miss rate (etalon's defaults).
 */
export const DEFAULT_DEADLINES = {
  ttft_deadline_s: 0.3,
  tbt_deadline_s: 0.05,
  target_miss_rate: 0.1,
  ttft_slack_s: 0.3,
} as const;

export const deadlineOptionsSchema = z.object({
  ttft_deadline_s: z.number().positive().finite().default(DEFAULT_DEADLINES.ttft_deadline_s),
  tbt_deadline_s: z.number().positive().finite().default(DEFAULT_DEADLINES.tbt_deadline_s),
  target_miss_rate: z.number().min(0).max(1).default(DEFAULT_DEADLINES.target_miss_rate),
  /** With a prefill profile, the TTFT deadline is predicted prefill + this slack. */
  ttft_slack_s: z.number().nonnegative().finite().default(DEFAULT_DEADLINES.ttft_slack_s),
});
export type DeadlineOptions = z.infer<typeof deadlineOptionsSchema>;

/** Deadlines resolved to integer µs, with the per-request TTFT deadline as a function. */
export interface ResolvedDeadlines {
  /** TTFT deadline in µs for a request with this many prompt tokens. */
  ttftDeadlineUs: (promptTokens: number) => number;
  tbtDeadlineUs: number;
  targetMissRate: number;
  /** Whether `ttftDeadlineUs` comes from a prefill predictor. */
  predicted: boolean;
}

/**
 * Fixed TTFT deadline, or `predictPrefillUs(prompt) + slack` when a predictor is given.
 */
export function resolveDeadlines(
  options: DeadlineOptions,
  predictPrefillUs?: (promptTokens: number) => number,
): ResolvedDeadlines {
  const fixedUs = sToUs(options.ttft_deadline_s);
  const slackUs = sToUs(options.ttft_slack_s);
  return {
    ttftDeadlineUs: predictPrefillUs ? (prompt) => predictPrefillUs(prompt) + slackUs : () => fixedUs,
    tbtDeadlineUs: sToUs(options.tbt_deadline_s),
    targetMissRate: options.target_miss_rate,
    predicted: predictPrefillUs !== undefined,
  };
}

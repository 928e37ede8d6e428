import type { HeadlineMetric } from '../history/headline-metrics.ts';
import type { RegressionReason } from '../history/regression-rule.ts';

// Delivering a regression alert to a webhook (docs/history.md#alerts): the retry schedule and the
// message body. Pure: the clock is passed in.

/** Alerts one delivery tick tries at most. */
export const ALERTS_PER_TICK = 20;
/** Attempts before an alert is given up on (`failed`). */
export const MAX_ATTEMPTS = 6;
/** Delay before the second attempt; each further one doubles it (1, 2, 4, 8, 16 min). */
export const FIRST_RETRY_MS = 60_000;
/** A claimed alert is not tried again by another tick before this has passed. */
export const CLAIM_LEASE_MS = 60_000;
/** A POST that takes longer than this counts as failed (well within the lease). */
export const POST_TIMEOUT_MS = 15_000;

/** When to try again after `attempts` failed attempts (≥ 1), or null to give up. */
export function nextAttemptMs(attempts: number, nowMs: number): number | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  return nowMs + FIRST_RETRY_MS * 2 ** (attempts - 1);
}

export interface AlertFacts {
  id: string;
  run_id: string;
  schedule_id: string | null;
  api: string;
  host: string;
  model: string;
  region: string;
  metric: HeadlineMetric;
  value: number;
  baseline: number;
  band_lo: number;
  band_hi: number;
  reason: RegressionReason;
  created_at_ms: number;
}

const fmt = (x: number) => Number(x.toPrecision(4)).toString();

/**
 * The JSON a webhook receives: `text` (Slack) and `content` (Discord) carry a one-line message,
 * the rest the structured facts. Only what the alert row holds; never a URL or secret.
 */
export function alertMessage(a: AlertFacts): Record<string, unknown> {
  const change = a.baseline === 0 ? '' : ` (${fmt((100 * (a.value - a.baseline)) / Math.abs(a.baseline))}%)`;
  const why =
    a.reason === 'outside_band_twice' ? 'outside the band twice in a row' : 'interval excludes the baseline';
  const text =
    `fluidbench regression: ${a.metric} of ${a.model} at ${a.host} (${a.api}), region ${a.region}: ` +
    `${fmt(a.value)} vs baseline ${fmt(a.baseline)}${change}, band ${fmt(a.band_lo)}…${fmt(a.band_hi)}; ` +
    `${why}. Run ${a.run_id}${a.schedule_id === null ? '' : `, schedule ${a.schedule_id}`}.`;
  return {
    text,
    content: text,
    alert_id: a.id,
    run_id: a.run_id,
    schedule_id: a.schedule_id,
    api: a.api,
    host: a.host,
    model: a.model,
    region: a.region,
    metric: a.metric,
    value: a.value,
    baseline: a.baseline,
    band: { lo: a.band_lo, hi: a.band_hi },
    reason: a.reason,
    created_at_ms: a.created_at_ms,
  };
}

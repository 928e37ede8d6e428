import { z } from 'zod';
import { HEADLINE_METRIC_NAMES } from '../history/headline-metrics.ts';

/** Alerts one `GET /v1/alerts` answers at most (the newest), and by default. */
export const ALERTS_LIMIT = { min: 1, max: 500, default: 100 } as const;
/** Times are epoch milliseconds up to the year 2500. */
const epochMs = z.coerce.number().int().min(0).max(16_725_225_600_000);

/** `GET /v1/alerts`'s filters; every one optional, bounded and checked. */
export const alertsQuerySchema = z.object({
  run_id: z.string().min(1).max(100).optional(),
  model: z.string().min(1).max(200).optional(),
  /** A region as the run named it, or `all` for whole runs. */
  region: z.string().min(1).max(50).optional(),
  metric: z.enum(HEADLINE_METRIC_NAMES).optional(),
  /** Alerts created at or after this time (epoch ms). */
  from_ms: epochMs.optional(),
  limit: z.coerce.number().int().min(ALERTS_LIMIT.min).max(ALERTS_LIMIT.max).default(ALERTS_LIMIT.default),
});

export const alertSchema = z.object({
  id: z.string(),
  created_at_ms: z.number().int(),
  run_id: z.string(),
  schedule_id: z.string().nullable(),
  api: z.string(),
  host: z.string(),
  model: z.string(),
  region: z.string(),
  metric: z.enum(HEADLINE_METRIC_NAMES),
  value: z.number(),
  baseline: z.number(),
  /** baseline ± band: the values the rule accepts. */
  band_lo: z.number(),
  band_hi: z.number(),
  reason: z.enum(['outside_band_twice', 'interval_excludes_baseline']),
  /** `none`: no webhook configured when it was stored. */
  webhook_state: z.enum(['pending', 'sent', 'failed', 'none']),
  attempts: z.number().int(),
  /** The NAME of the secret whose URL it goes to (its schedule's `alert_webhook_secret`); null: the global setting. Never the URL. */
  webhook_secret: z.string().nullable().optional(),
});

export const alertsResponseSchema = z.object({
  /** Newest first. */
  alerts: z.array(alertSchema),
  /** true when `limit` cut older alerts off. */
  truncated: z.boolean(),
  /**
   * Whether alerts are sent: `none` (ALERT_WEBHOOK_SECRET unset), `configured`, or `misconfigured`
   * (the secret it names is missing or not an http(s) URL; pending alerts fail until fixed).
   */
  webhook: z.enum(['none', 'configured', 'misconfigured']),
});

export type Alert = z.infer<typeof alertSchema>;
export type AlertsResponse = z.infer<typeof alertsResponseSchema>;

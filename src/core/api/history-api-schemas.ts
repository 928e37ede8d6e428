import { z } from 'zod';
import { HEADLINE_METRIC_NAMES, HISTORY_KINDS } from '../history/headline-metrics.ts';

/** Points one `GET /v1/history` answers at most (the newest), and by default. */
export const HISTORY_LIMIT = { min: 1, max: 5000, default: 500 } as const;
/** Times are epoch milliseconds up to the year 2500. */
const epochMs = z.coerce.number().int().min(0).max(16_725_225_600_000);

/** `GET /v1/history`'s filters; every one optional, bounded and checked. */
export const historyQuerySchema = z
  .object({
    schedule: z.string().min(1).max(100).optional(),
    api: z.string().min(1).max(50).optional(),
    /** The target's host (`api.example.com`, `127.0.0.1:8787`). */
    host: z.string().min(1).max(253).optional(),
    model: z.string().min(1).max(200).optional(),
    /** A region (location hint) as the run named it, or `all` for whole runs. */
    region: z.string().min(1).max(50).optional(),
    metric: z.enum(HEADLINE_METRIC_NAMES).optional(),
    from_ms: epochMs.optional(),
    to_ms: epochMs.optional(),
    limit: z.coerce
      .number()
      .int()
      .min(HISTORY_LIMIT.min)
      .max(HISTORY_LIMIT.max)
      .default(HISTORY_LIMIT.default),
  })
  .superRefine((q, ctx) => {
    if (q.from_ms !== undefined && q.to_ms !== undefined && q.from_ms > q.to_ms)
      ctx.addIssue({ code: 'custom', path: ['to_ms'], message: 'to_ms must not be before from_ms' });
  });

export const historyPointSchema = z.object({
  run_id: z.string(),
  kind: z.enum(HISTORY_KINDS),
  at_ms: z.number().int(),
  value: z.number(),
  lo: z.number().nullable(),
  hi: z.number().nullable(),
});

export const regressionFlagSchema = z.object({
  run_id: z.string(),
  at_ms: z.number().int(),
  reason: z.enum(['outside_band_twice', 'interval_excludes_baseline']),
  value: z.number(),
  baseline: z.number(),
  band: z.number(),
});

export const historySeriesSchema = z.object({
  schedule_id: z.string().nullable(),
  api: z.string(),
  host: z.string(),
  model: z.string(),
  region: z.string(),
  metric: z.enum(HEADLINE_METRIC_NAMES),
  /** Which change is a regression. */
  worse_when: z.enum(['higher', 'lower']),
  /** Oldest first. */
  points: z.array(historyPointSchema),
  /** The regression rule over these points (only the returned ones). */
  flags: z.array(regressionFlagSchema),
});

export const historyResponseSchema = z.object({
  series: z.array(historySeriesSchema),
  /** Points returned over all series. */
  points: z.number().int(),
  /** true when `limit` cut older points off. */
  truncated: z.boolean(),
});

export type HistoryPoint = z.infer<typeof historyPointSchema>;
export type HistorySeries = z.infer<typeof historySeriesSchema>;
export type HistoryResponse = z.infer<typeof historyResponseSchema>;

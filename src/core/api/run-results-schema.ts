import { z } from 'zod';
import { runCostSchema, runUsageSchema } from '../cost/run-cost.ts';
import { runListEntrySchema, shardProgressSchema, shardStatusSchema } from '../run/run-status.ts';
import { instrumentCheckResultSchema } from '../shard/instrument-check.ts';
import { alertSchema } from './alerts-api-schemas.ts';
import { analysisSummarySchema, serviceLevelSchema, throughputSchema } from './report-schema.ts';

/**
 * What `GET /v1/runs/{id}/results` answers (built by core/report/run-results.ts): the metrics report
 * exactly as `fluidbench analyze --json` computes it from the exported records, plus what only the
 * run knows: offered versus achieved load, where each region ran, and each shard's health.
 */
export const runResultsSchema = runListEntrySchema.extend({
  target: z.object({ api: z.string(), base_url: z.string(), model: z.string() }),
  load: z.object({
    /** The arrival process (`constant`, `poisson`, `concurrency`, …). */
    arrivals: z.string(),
    offered_qps: z.number().nullable(),
    /** Closed-loop concurrency, null for open-loop arrivals. */
    concurrency: z.number().int().nullable(),
    /** Measured requests sent over the span from the first to the last send. */
    achieved_qps: z.number().nullable(),
    requests_sent: z.number().int(),
  }),
  summary: analysisSummarySchema,
  throughput: throughputSchema,
  service_level: serviceLevelSchema,
  regions: z.record(
    z.string(),
    z.object({
      colos: z.array(z.string()),
      shards: z.number().int(),
      progress: shardProgressSchema,
      instrument_check: instrumentCheckResultSchema.optional(),
    }),
  ),
  shards: z.array(shardStatusSchema),
  /**
   * The regression alerts this run raised (docs/history.md#alerts), oldest first; added when the
   * results are served (an alert is judged just after the results are stored).
   */
  alerts: z.array(alertSchema).optional(),
  /** Absent for runs whose shards did not report their usage. */
  cost: runCostSchema.extend({ usage: runUsageSchema }).optional(),
});
export type RunResults = z.infer<typeof runResultsSchema>;

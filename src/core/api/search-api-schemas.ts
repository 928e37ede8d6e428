import { z } from 'zod';
import { RUN_STATES } from '../run/run-state.ts';

// The bodies of the capacity-search routes (src/worker/api/searches-routes.ts), pure zod: the routes
// declare them in /openapi.json and the CLI checks what it receives against them.

export const SEARCH_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type SearchState = (typeof SEARCH_STATES)[number];

const nullableNumber = () => z.number().nullable();

/** One probe as the search reports it (src/core/search/search-protocol.ts ProbeReport; more fields may come). */
export const probeReportSchema = z.object({
  index: z.number().int(),
  offered_load: z.number(),
  achieved_load: nullableNumber(),
  replicate_of: z.number().int().nullable(),
  planned_requests: z.number().int(),
  requests: z.number().int(),
  bad: z.number().int(),
  errors: z.number().int(),
  output_tokens: z.number().int(),
  /** The probe's counts: requests, bad, errors and each SLO part's values and bad values. */
  counts: z.record(z.string(), z.number().int()),
  binding_part: z.string(),
  bad_fraction: z.number(),
  threshold_fraction: z.number(),
  interval: z.object({ lo: z.number(), hi: z.number() }),
  statistic: nullableNumber(),
  verdict: z.enum(['pass', 'fail']),
  resolved: z.boolean(),
  reason: z.string(),
  elapsed_s: z.number(),
});

/**
 * The search's result (SearchResult); while the search runs, the same shape with what it learned so
 * far and `stop_reason` null.
 */
export const searchResultSchema = z.object({
  stop_reason: z.string().nullable(),
  bracket: z.object({ lo: nullableNumber(), hi: nullableNumber() }),
  lower_bound_only: z.boolean(),
  root: z.object({ load: z.number(), lo: z.number(), hi: z.number() }).nullable(),
  probes: z.array(probeReportSchema),
  requests_used: z.number().int(),
  output_tokens_used: z.number(),
  elapsed_s: z.number(),
  /** Per region: the bracket from that region's own probe verdicts. */
  regions: z
    .record(z.string(), z.object({ bracket: z.object({ lo: nullableNumber(), hi: nullableNumber() }) }))
    .optional(),
});

/** `GET /v1/searches` query: the page size's bounds and default. */
export const SEARCH_LIST_LIMIT = { min: 1, max: 200, default: 50 } as const;

/** `POST /v1/searches` → 201. */
export const createdSearchSchema = z.object({
  id: z.string(),
  state: z.enum(SEARCH_STATES),
  /** The load the search starts from when warm (given, or found from an earlier search), else null. */
  warm_start_load: z.number().nullable(),
  links: z.record(z.string(), z.string()),
});
export type CreatedSearch = z.infer<typeof createdSearchSchema>;

export const searchListEntrySchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  state: z.enum(SEARCH_STATES),
  reason: z.string().nullable(),
  created_at_ms: z.number(),
  finished_at_ms: z.number().nullable(),
});
export type SearchListEntry = z.infer<typeof searchListEntrySchema>;

/** `GET /v1/searches` → 200: newest first; `next` is the following page's cursor. */
export const searchListSchema = z.object({
  searches: z.array(searchListEntrySchema),
  next: z.string().nullable(),
});

/** One probe as stored: its run, its load and, once its run ended, its outcome and report. */
export const searchProbeSchema = z.object({
  index: z.number().int(),
  run_id: z.string(),
  load: z.number(),
  replicate_of: z.number().int().nullable(),
  /** The probe run's state. */
  state: z.enum(RUN_STATES),
  started_at_ms: z.number(),
  finished_at_ms: z.number().nullable(),
  /** The outcome fed to the search, its report (interval, verdict), and the run's end reason. */
  outcome: z.record(z.string(), z.unknown()).nullable(),
});
export type SearchProbe = z.infer<typeof searchProbeSchema>;

/** The probe that is running, with its live counts summed over shards. */
export const currentProbeSchema = z.object({
  index: z.number().int(),
  run_id: z.string(),
  load: z.number(),
  replicate_of: z.number().int().nullable(),
  run_state: z.enum(RUN_STATES).nullable(),
  /** requests, bad, errors, output tokens, … so far (see docs/campaigns.md). */
  counts: z.record(z.string(), z.number()),
  /** The early decision once taken (the run is stopping). */
  decided: z.string().nullable(),
});

/** `GET /v1/searches/{id}` → 200: live while it runs. */
export const searchStatusSchema = searchListEntrySchema.extend({
  warm_start_load: z.number().nullable(),
  current: currentProbeSchema.nullable(),
  /** The bracket and probes so far (the final result once ended); null before the first probe ends. */
  result: searchResultSchema.nullable(),
  probes: z.array(searchProbeSchema),
});
export type SearchStatus = z.infer<typeof searchStatusSchema>;

/** `POST /v1/searches/{id}/cancel` → 202. */
export const cancelledSearchSchema = z.object({ id: z.string(), state: z.enum(SEARCH_STATES) });
export type CancelledSearch = z.infer<typeof cancelledSearchSchema>;

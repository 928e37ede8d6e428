import { z } from 'zod';
import { OUTCOMES, type Outcome } from '../record/request-record.ts';
import { RUN_STATES } from './run-state.ts';

/** A shard's counters, sent with each heartbeat and shown by `status`. */
export const shardProgressSchema = z.object({
  /** Requests this shard's share of the schedule holds (null when only a duration bounds it). */
  scheduled: z.number().int().nullable(),
  dispatched: z.number().int(),
  in_flight: z.number().int(),
  done: z.number().int(),
  errors: z.number().int(),
  by_outcome: z.partialRecord(z.enum(OUTCOMES), z.number().int()),
  chunks: z.number().int(),
  /** Most requests awaiting response headers at once (production allows 6 per invocation). */
  max_awaiting_headers: z.number().int(),
  /** Requests dispatched while 6 or more were awaiting headers: their TTFT includes our own queueing. */
  dispatched_while_saturated: z.number().int(),
  max_schedule_lag_ms: z.number(),
  records_flushed: z.number().int(),
  d1_write_failures: z.number().int(),
  /** Alarm invocations the shard has run (a new one per slice, budget or restart). */
  slices: z.number().int(),
});
export type ShardProgress = z.infer<typeof shardProgressSchema>;

export const SHARD_STATES = ['starting', 'running', 'finished', 'dead'] as const;

export const shardStatusSchema = z.object({
  index: z.number().int(),
  region: z.string(),
  state: z.enum(SHARD_STATES),
  /** Cloudflare colo the shard ran in (null when unknown, e.g. locally). */
  colo: z.string().nullable(),
  progress: shardProgressSchema,
  last_heartbeat_ms: z.number().nullable(),
  stop_reason: z.string().nullable(),
});
export type ShardStatus = z.infer<typeof shardStatusSchema>;

export const regionProgressSchema = shardProgressSchema.extend({ shards: z.number().int() });

/** A run as lists show it. */
export const runListEntrySchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  state: z.enum(RUN_STATES),
  reason: z.string().nullable(),
  created_at_ms: z.number(),
  started_at_ms: z.number().nullable(),
  finished_at_ms: z.number().nullable(),
});
export type RunListEntry = z.infer<typeof runListEntrySchema>;

export const runStatusSchema = runListEntrySchema.extend({
  /** Estimated seconds until the schedule ends (null when unknown or finished). */
  eta_s: z.number().nullable(),
  regions: z.record(z.string(), regionProgressSchema),
  shards: z.array(shardStatusSchema),
});
export type RunStatus = z.infer<typeof runStatusSchema>;

export function emptyProgress(scheduled: number | null): ShardProgress {
  return {
    scheduled,
    dispatched: 0,
    in_flight: 0,
    done: 0,
    errors: 0,
    by_outcome: {},
    chunks: 0,
    max_awaiting_headers: 0,
    dispatched_while_saturated: 0,
    max_schedule_lag_ms: 0,
    records_flushed: 0,
    d1_write_failures: 0,
    slices: 0,
  };
}

/** Sums shards' progress (a region's, or the run's). */
export function addProgress(into: ShardProgress, p: ShardProgress): ShardProgress {
  into.scheduled = into.scheduled === null || p.scheduled === null ? null : into.scheduled + p.scheduled;
  into.dispatched += p.dispatched;
  into.in_flight += p.in_flight;
  into.done += p.done;
  into.errors += p.errors;
  for (const [outcome, n] of Object.entries(p.by_outcome) as [keyof ShardProgress['by_outcome'], number][])
    into.by_outcome[outcome] = (into.by_outcome[outcome] ?? 0) + n;
  into.chunks += p.chunks;
  into.max_awaiting_headers = Math.max(into.max_awaiting_headers, p.max_awaiting_headers);
  into.dispatched_while_saturated += p.dispatched_while_saturated;
  into.max_schedule_lag_ms = Math.max(into.max_schedule_lag_ms, p.max_schedule_lag_ms);
  into.records_flushed += p.records_flushed;
  into.d1_write_failures += p.d1_write_failures;
  into.slices += p.slices;
  return into;
}

/** Counts one finished request into a shard's progress. */
export function countOutcome(progress: ShardProgress, outcome: Outcome, chunks: number): void {
  progress.done++;
  if (outcome !== 'ok') progress.errors++;
  progress.by_outcome[outcome] = (progress.by_outcome[outcome] ?? 0) + 1;
  progress.chunks += chunks;
}

import { z } from 'zod';
import { OUTCOMES, type Outcome } from '../record/request-record.ts';
import { RUN_STATES } from './run-state.ts';

/** A shard's counters, sent with each heartbeat and shown by `status`. */
export const shardProgressSchema = z.object({
  /** Requests this shard's share of the schedule holds (null when only a duration bounds it). */
  scheduled: z.number().int().nullable(),
  /** Requests sent so far, warm-up included. */
  dispatched: z.number().int(),
  in_flight: z.number().int(),
  /** Requests finished, warm-up included (`done − warmup_done` were measured). */
  done: z.number().int(),
  /** Warm-up requests finished: sent, but in neither `errors`, `by_outcome` nor the results. */
  warmup_done: z.number().int(),
  /** Measured requests that did not end `ok`. */
  errors: z.number().int(),
  /** Measured requests by outcome. */
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
  /**
   * Capacity-search probe runs only: the shard's running probe counts (measured requests, bad
   * ones, errors, …; see src/core/shard/probe-counts.ts), plain integers that add across shards.
   */
  probe_counts: z.record(z.string(), z.number().int()).optional(),
  /** What the shard spent, for the cost estimate (docs/cost.md); absent in older runs. */
  usage: z
    .object({
      /** Rows its own SQLite wrote (the storage API's count). */
      do_rows_written: z.number().int(),
      /** Rows D1 reported written by the shard's record inserts (indexes included). */
      d1_rows_written: z.number().int(),
      /** Bytes of the request rows it inserted into D1 (values, before SQLite's overhead). */
      d1_bytes_written: z.number().int(),
      /** Wall time its alarm slices ran (the Durable Object's billed duration), ms. */
      active_ms: z.number(),
    })
    .optional(),
});
export type ShardProgress = z.infer<typeof shardProgressSchema>;

/** `failed`: the shard gave up after its alarm kept throwing; `dead`: it stopped answering. */
export const SHARD_STATES = ['starting', 'running', 'finished', 'failed', 'dead'] as const;
export type ShardState = (typeof SHARD_STATES)[number];

/** Whether a shard is done for this run, one way or another. */
export function isShardOver(state: ShardState): boolean {
  return state === 'finished' || state === 'failed' || state === 'dead';
}

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
    warmup_done: 0,
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

export type ShardUsage = NonNullable<ShardProgress['usage']>;

export function emptyUsage(): ShardUsage {
  return { do_rows_written: 0, d1_rows_written: 0, d1_bytes_written: 0, active_ms: 0 };
}

/** Sums shards' progress (a region's, or the run's). */
export function addProgress(into: ShardProgress, p: ShardProgress): ShardProgress {
  into.scheduled = into.scheduled === null || p.scheduled === null ? null : into.scheduled + p.scheduled;
  into.dispatched += p.dispatched;
  into.in_flight += p.in_flight;
  into.done += p.done;
  into.warmup_done += p.warmup_done ?? 0;
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
  if (p.probe_counts !== undefined) into.probe_counts = addCounters(into.probe_counts ?? {}, p.probe_counts);
  if (p.usage !== undefined) into.usage = addCounters(into.usage ?? emptyUsage(), p.usage) as ShardUsage;
  return into;
}

/** Adds integer counters key by key (probe counts of several shards). */
export function addCounters(into: Record<string, number>, more: Readonly<Record<string, number>>) {
  for (const [key, n] of Object.entries(more)) into[key] = (into[key] ?? 0) + n;
  return into;
}

/** Counts one finished request into a shard's progress; a warm-up request only as done. */
export function countOutcome(
  progress: ShardProgress,
  outcome: Outcome,
  chunks: number,
  warmup: boolean,
): void {
  progress.done++;
  progress.chunks += chunks;
  if (warmup) {
    progress.warmup_done++;
    return;
  }
  if (outcome !== 'ok') progress.errors++;
  progress.by_outcome[outcome] = (progress.by_outcome[outcome] ?? 0) + 1;
}

/**
 * Why a run whose shards all finished is a failure although nothing broke: every measured request
 * failed (the target is down, refuses every request, or times out). Null when at least one
 * succeeded, or none was measured. Some failures leave a run `done`: its error rate shows them.
 */
export function allFailedReason(progress: ShardProgress): string | null {
  const measured = Object.values(progress.by_outcome).reduce((sum, n) => sum + (n ?? 0), 0);
  if (measured === 0 || (progress.by_outcome.ok ?? 0) > 0) return null;
  const parts = Object.entries(progress.by_outcome)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort(([a, x], [b, y]) => (y ?? 0) - (x ?? 0) || a.localeCompare(b))
    .map(([outcome, n]) => `${n} ${outcome}`);
  return `all ${measured} measured requests failed: ${parts.join(', ')}`;
}

import type { RunConfig } from '../run/run-config.ts';
import type { ShardStopReason } from './shard-loop.ts';
import { closedLoopConcurrency, largestRemainder } from './shard-plan.ts';

// What one alarm slice of a shard may do, decided before it sends anything: pure, so the Shard
// Durable Object only carries it out.

/** The alarm wall-time limit (15 min) less a margin. */
export const ALARM_WALL_S = 870;

/** What a shard knows about its place in the run. */
export interface ShardPlace {
  config: RunConfig;
  /** Every shard's weight, in shard order (the same on every shard). */
  weights: readonly number[];
  index: number;
  /** Epoch ms of the schedule's offset 0, shared by every shard. */
  startAtMs: number;
}

/** A shard's exact part of the run's limits. */
export interface ShardCaps {
  /** Closed loop: the request loops this shard runs; null in open loop. */
  closedConcurrency: number | null;
  /** Requests (warm-up included) this shard may send; the shards' caps sum to limits.max_requests. */
  requestCap: number;
  /** Open loop: requests in flight at once; the shards' caps sum to limits.max_concurrency. */
  maxInFlight: number;
}

/**
 * The weights a run's caps split by: in closed loop each shard's loop count (its requests follow
 * its loops), in open loop the shard weights (its requests follow the weighted interleave).
 */
function capWeights(place: ShardPlace): number[] {
  const { arrivals } = place.config.workload;
  return arrivals.type === 'concurrency' ? largestRemainder(arrivals.n, place.weights) : [...place.weights];
}

/**
 * Splits `total` over shards by largest remainder: the parts sum to `total` exactly, so the
 * shards together never exceed a run limit (rounding each share up let 2 shards send 6 of 5).
 * A shard whose part is 0 sends nothing (requests) or stops at its first send (concurrency).
 */
export function splitCap(total: number, weights: readonly number[]): number[] {
  if (weights.reduce((sum, w) => sum + w, 0) <= 0) return weights.map(() => 0);
  return largestRemainder(total, weights);
}

export function shardCaps(place: ShardPlace): ShardCaps {
  const { config, weights, index } = place;
  const { arrivals } = config.workload;
  const split = capWeights(place);
  return {
    closedConcurrency:
      arrivals.type === 'concurrency' ? closedLoopConcurrency(arrivals.n, weights, index) : null,
    requestCap: splitCap(config.limits.max_requests, split)[index] ?? 0,
    maxInFlight: splitCap(config.limits.max_concurrency, split)[index] ?? 0,
  };
}

export interface SlicePlan extends ShardCaps {
  /** Stop dispatching at this epoch ms. */
  dispatchUntilMs: number;
  /** Why reaching `dispatchUntilMs` stops the shard (`slice_end`: another slice follows). */
  untilReason: ShardStopReason;
  /** Requests scheduled before this epoch ms fell due while a previous slice drained: a backlog. */
  capFromMs: number;
}

/**
 * One slice: it ends at the first of the slice length, the run's max_duration_s and (closed loop)
 * the workload's duration_s. The slice, its drain (up to one request timeout) and the final flush
 * fit the 15-minute alarm.
 */
export function planSlice(place: ShardPlace, nowMs: number, sliceS: number): SlicePlan {
  const { config, startAtMs } = place;
  const caps = shardCaps(place);
  const lengthS = Math.min(sliceS, Math.max(60, ALARM_WALL_S - config.timeouts.request_s - 60));
  const ends: [number, ShardStopReason][] = [
    [nowMs + lengthS * 1000, 'slice_end'],
    [startAtMs + config.limits.max_duration_s * 1000, 'limit_max_duration'],
  ];
  if (caps.closedConcurrency !== null && config.workload.duration_s !== undefined)
    ends.push([startAtMs + config.workload.duration_s * 1000, 'duration_reached']);
  // Stable: on a tie the run's own limits win over the slice end.
  ends.sort((x, y) => x[0] - y[0] || (x[1] === 'slice_end' ? 1 : 0) - (y[1] === 'slice_end' ? 1 : 0));
  const [dispatchUntilMs, untilReason] = ends[0] as [number, ShardStopReason];
  return { ...caps, dispatchUntilMs, untilReason, capFromMs: nowMs };
}

/** Consecutive failed alarms after which a shard gives up and fails the run (see shouldGiveUp). */
export const MAX_FAILED_ALARMS = 4;
/** Backoff before retrying a failed alarm: 0.5 s, 1 s, 2 s (3.5 s in all before giving up). */
export const ALARM_RETRY_BASE_MS = 500;

/**
 * After a failed alarm: retry later, or give up. A transient fault (D1 or the coordinator briefly
 * unreachable) clears within seconds, and the final flush already retries D1 on its own with
 * backoff; a deterministic one (a bug, a poisoned request) fails the same way every time, so
 * more retries would only keep the run `running` longer. Four attempts over ~3.5 s separate them.
 */
export function afterFailedAlarm(
  failedAlarms: number,
): { giveUp: true } | { giveUp: false; retryInMs: number } {
  if (failedAlarms >= MAX_FAILED_ALARMS) return { giveUp: true };
  return { giveUp: false, retryInMs: ALARM_RETRY_BASE_MS * 2 ** Math.max(0, failedAlarms - 1) };
}

/** The run's failure reason when a shard gives up: which shard, how often, and the error itself. */
export function shardFailure(
  shard: { index: number; region: string },
  failedAlarms: number,
  error: unknown,
): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `shard ${shard.index} (${shard.region}) failed ${failedAlarms} times in a row: ${text}`;
}

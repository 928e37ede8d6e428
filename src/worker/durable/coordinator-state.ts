import { isTerminal, type RunState } from '../../core/run/run-state.ts';
import {
  addCounters,
  allFailedReason,
  type ShardProgress,
  type ShardStatus,
} from '../../core/run/run-status.ts';
import type { ProbeStop } from '../../core/shard/probe-counts.ts';
import type { ShardFinal, StartRunInput } from './run-protocol.ts';

// What the coordinator keeps in its storage about the run and each shard, and the rules it applies
// to that state (how a run ends, its ETA, probe counts per region).

/** Where the coordinator stores each shard's entry (`shard:0007`, all under the `shard:` prefix). */
export const shardKey = (index: number) => `shard:${String(index).padStart(4, '0')}`;

export interface RunRecord extends StartRunInput {
  state: RunState;
  startAtMs: number;
  reason: string | null;
  cancelReason: string | null;
  /** Why the run fails although shards may still be running (a shard gave up); absent in old rows. */
  failReason?: string | null;
  finishedAtMs: number | null;
  /** Probe runs: the early decision, with the summed counts when it was taken (absent until then). */
  probeStop?: ProbeStop | null;
}

export interface ShardEntry extends ShardStatus {
  pokes: number;
  hasSummary: boolean;
  sends?: ShardFinal['sends'];
  instrumentCheck?: ShardFinal['instrumentCheck'];
}

export function publicShardStatus(entry: ShardEntry): ShardStatus {
  const { pokes: _pokes, hasSummary: _hasSummary, sends: _sends, instrumentCheck: _check, ...status } = entry;
  return status;
}

/**
 * How a run whose shards are all over ends, in order: cancelled (by the user or the run timeout),
 * failed because a shard failed, or stopped answering, or every measured request failed; else done.
 */
export function endOf(
  run: RunRecord,
  shards: ShardEntry[],
  total: ShardProgress,
): { state: RunState; reason: string } {
  if (run.cancelReason !== null) return { state: 'cancelled', reason: run.cancelReason };
  // A probe stopped by its own rule ended as planned, whatever its requests did.
  if (run.probeStop) return { state: 'done', reason: run.probeStop.reason };
  if ((run.failReason ?? null) !== null) return { state: 'failed', reason: run.failReason as string };
  const dead = shards.filter((s) => s.state === 'dead');
  if (dead.length > 0)
    return {
      state: 'failed',
      reason: `${dead.length} of ${shards.length} shards stopped responding; results cover the others`,
    };
  const allFailed = allFailedReason(total);
  if (allFailed !== null) return { state: 'failed', reason: allFailed };
  return { state: 'done', reason: summarizeStops(shards) };
}

/** The shards' probe counts summed per region. */
export function probeCountsByRegion(shards: ShardEntry[]): Record<string, Record<string, number>> {
  const regions: Record<string, Record<string, number>> = {};
  for (const s of shards)
    regions[s.region] = addCounters(regions[s.region] ?? {}, s.progress.probe_counts ?? {});
  return regions;
}

function summarizeStops(shards: ShardEntry[]): string {
  const reasons = [...new Set(shards.map((s) => s.stop_reason ?? 'completed'))];
  return reasons.length === 1 ? (reasons[0] ?? 'completed') : reasons.join('; ');
}

/** Seconds left: the longer of what the plan's duration and the request rate so far say. */
export function etaSeconds(run: RunRecord, total: ShardProgress, now: number): number | null {
  if (isTerminal(run.state)) return null;
  const elapsedS = Math.max(0, (now - run.startAtMs) / 1000);
  const byDuration =
    run.plan.expectedDurationS !== null ? Math.max(0, run.plan.expectedDurationS - elapsedS) : null;
  if (total.scheduled !== null && total.scheduled > 0 && total.done > 0 && elapsedS > 0) {
    const rate = total.done / elapsedS;
    const byRequests = (total.scheduled - total.done) / rate;
    return Math.round(byDuration === null ? byRequests : Math.max(byDuration, byRequests));
  }
  return byDuration === null ? null : Math.round(byDuration);
}

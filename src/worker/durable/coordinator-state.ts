import type { RunState } from '../../core/run/run-state.ts';
import type { ShardStatus } from '../../core/run/run-status.ts';
import type { ProbeStop } from '../../core/shard/probe-counts.ts';
import type { ShardFinal, StartRunInput } from './run-protocol.ts';

// What the coordinator keeps in its storage about the run and each shard.

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
}

export function publicShardStatus(entry: ShardEntry): ShardStatus {
  const { pokes: _pokes, hasSummary: _hasSummary, sends: _sends, ...status } = entry;
  return status;
}

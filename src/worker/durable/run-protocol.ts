import type { RunConfig } from '../../core/run/run-config.ts';
import type { RunPlan } from '../../core/run/run-plan.ts';
import type { ShardProgress } from '../../core/run/run-status.ts';
import type { ShardSummary } from '../../core/shard/shard-record.ts';

// What the API, the coordinator and the shards say to each other, and how they find each other.

export interface StartRunInput {
  runId: string;
  name: string | null;
  config: RunConfig;
  plan: RunPlan;
  createdAtMs: number;
}

export interface ShardAssignment {
  runId: string;
  index: number;
  region: string;
  weights: number[];
  config: RunConfig;
  /** Epoch ms of the schedule's offset 0, shared by every shard. */
  startAtMs: number;
}

/** What a shard reports when it is done: its counters and the summary of its measured requests. */
export interface ShardFinal extends ShardSummary {
  progress: ShardProgress;
  colo: string | null;
  stopReason: string;
  /** Set when the shard gave up after its alarm kept throwing: the error, which fails the run. */
  failure?: string;
}

/** Shard stub for (run, index): a fresh object per run so the location hint applies at creation. */
export function shardStub(env: Env, runId: string, index: number, region?: string) {
  const id = env.SHARD.idFromName(`${runId}:${index}`);
  return region
    ? env.SHARD.get(id, { locationHint: region as DurableObjectLocationHint })
    : env.SHARD.get(id);
}

export function coordinatorStub(env: Env, runId: string) {
  return env.COORDINATOR.get(env.COORDINATOR.idFromName(runId));
}

import type { RunConfig } from '../../core/run/run-config.ts';
import type { RunPlan } from '../../core/run/run-plan.ts';
import type { RunState } from '../../core/run/run-state.ts';
import type { ShardProgress } from '../../core/run/run-status.ts';
import type { InstrumentSample } from '../../core/shard/instrument-check.ts';
import type { ProbeRunRule, ProbeStop } from '../../core/shard/probe-counts.ts';
import type { ShardSummary } from '../../core/shard/shard-record.ts';

// What the API, the coordinator and the shards say to each other, and how they find each other.

export interface StartRunInput {
  runId: string;
  name: string | null;
  config: RunConfig;
  plan: RunPlan;
  createdAtMs: number;
  /**
   * Capacity-search probe runs only: the rule by which the run ends early once the probe's verdict
   * is decided (docs/campaigns.md). Every shard gets it with its assignment.
   */
  probe?: ProbeRunRule;
}

export interface ShardAssignment {
  runId: string;
  index: number;
  region: string;
  weights: number[];
  config: RunConfig;
  /** Epoch ms of the schedule's offset 0, shared by every shard. */
  startAtMs: number;
  /** Probe runs only: classify each measured request into `progress.probe_counts`. */
  probe?: ProbeRunRule;
}

/** What a shard reports when it is done: its counters and the summary of its measured requests. */
export interface ShardFinal extends ShardSummary {
  progress: ShardProgress;
  colo: string | null;
  stopReason: string;
  /** Set when the shard gave up after its alarm kept throwing: the error, which fails the run. */
  failure?: string;
  /** What its instrument check measured (absent when the check was off). */
  instrumentCheck?: InstrumentSample;
}

/** A probe run as its coordinator sees it (the campaign reads it live and once the run ended). */
export interface ProbeRunStatus {
  state: RunState;
  /** Epoch ms of the schedule's offset 0. */
  startAtMs: number;
  /** The shards' probe counts, summed. */
  counts: Record<string, number>;
  /** The same per region. */
  regions: Record<string, Record<string, number>>;
  /** The early decision, once taken. */
  stop: ProbeStop | null;
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

/** The campaign object of a capacity search, named by the search id. */
export function campaignStub(env: Env, searchId: string) {
  return env.CAMPAIGN.get(env.CAMPAIGN.idFromName(searchId));
}

// When the coordinator checks on its shards (its alarm). The check finds shards that stopped
// heartbeating (silent for DEAD_SHARD_MS) and runs past their timeout; neither needs a check every
// heartbeat, and locally each check holds the thread the shards timestamp on for several ms
// (docs/timing.md). Heartbeats and shard reports reach the coordinator by RPC, not by this.

/** Checks per DEAD_SHARD_MS: a silent shard is noticed at most a quarter of it late. */
const CHECKS_PER_DEAD_INTERVAL = 4;

/** The next check, epoch ms: never sooner than a heartbeat, never after the run's timeout. */
export function nextCheckAtMs(
  nowMs: number,
  settings: { heartbeatMs: number; deadShardMs: number },
  timeoutAtMs: number,
): number {
  const every = Math.max(settings.heartbeatMs, settings.deadShardMs / CHECKS_PER_DEAD_INTERVAL);
  return Math.min(nowMs + every, Math.max(nowMs, timeoutAtMs + 1));
}

import { isShardOver } from '../../core/run/run-status.ts';
import { type RunRecord, type ShardEntry, shardKey } from './coordinator-state.ts';
import { shardStub } from './run-protocol.ts';

/** Restarts of a silent shard before it is taken for dead. */
const MAX_POKES = 3;

/**
 * The coordinator's dead-shard check, on each of its alarms: a shard silent for `deadShardMs` is
 * asked to resume (its alarm re-armed) up to MAX_POKES times, then marked `dead`. Apart from the
 * Coordinator object, which only calls it; the caller re-reads the shards afterwards.
 */
export async function checkSilentShards(
  env: Env,
  storage: DurableObjectStorage,
  run: RunRecord,
  shards: ShardEntry[],
  now: number,
  deadShardMs: number,
): Promise<void> {
  for (const listed of shards) {
    if (isShardOver(listed.state)) continue;
    const seen = listed.last_heartbeat_ms ?? run.startAtMs;
    if (now - seen < deadShardMs) continue;
    if (listed.pokes < MAX_POKES)
      // Re-arms the shard's alarm if it lost it; it resumes from its own stored progress.
      await shardStub(env, run.runId, listed.index)
        .resume()
        .catch(() => undefined);
    // Re-read after the await: a heartbeat or the shard's final report may have come in meanwhile.
    const s = await storage.get<ShardEntry>(shardKey(listed.index));
    if (!s || isShardOver(s.state) || s.last_heartbeat_ms !== listed.last_heartbeat_ms) continue;
    if (s.pokes >= MAX_POKES) {
      s.state = 'dead';
      s.stop_reason = `no heartbeat for ${Math.round((now - seen) / 1000)} s after ${MAX_POKES} restarts`;
    } else {
      s.pokes++;
      s.last_heartbeat_ms = now;
    }
    await storage.put(shardKey(s.index), s);
  }
}

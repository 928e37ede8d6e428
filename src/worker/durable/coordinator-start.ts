import { startedAtMs } from '../../core/report/run-results.ts';
import { emptyProgress } from '../../core/run/run-status.ts';
import { instrumentCheckLeadMs } from '../../core/shard/instrument-check.ts';
import { settingsOf } from '../env.ts';
import { transitionRun, updateRun } from '../storage/runs-store.ts';
import { type RunRecord, type ShardEntry, shardKey } from './coordinator-state.ts';
import { type StartRunInput, shardStub } from './run-protocol.ts';

/**
 * The start of a run, by its coordinator: the shards' entries and the run stored, the run marked
 * `running` in D1, every shard started on the same origin and the first check alarm set. When a
 * shard cannot start, the ones that did are stopped and the run ends `failed` cleanly (the error is
 * rethrown). Apart from the Coordinator object, which only refuses a retried start.
 */
export async function startRun(env: Env, storage: DurableObjectStorage, input: StartRunInput): Promise<void> {
  const settings = settingsOf(env);
  // Shards run their instrument check before the schedule's origin.
  const startAtMs =
    Date.now() + settings.START_DELAY_MS + instrumentCheckLeadMs(input.config.instrument_check);
  const run: RunRecord = {
    ...input,
    state: 'running',
    startAtMs,
    reason: null,
    cancelReason: null,
    failReason: null,
    finishedAtMs: null,
  };
  const weights = input.plan.shards.map((s) => s.weight);
  for (const shard of input.plan.shards)
    await storage.put(shardKey(shard.index), {
      index: shard.index,
      region: shard.region,
      state: 'starting',
      colo: null,
      progress: emptyProgress(null),
      last_heartbeat_ms: null,
      stop_reason: null,
      pokes: 0,
      hasSummary: false,
    } satisfies ShardEntry);
  await storage.put('run', run);
  await transitionRun(env.DB, input.runId, ['queued'], { state: 'running', startedAtMs: startAtMs });
  try {
    await Promise.all(
      input.plan.shards.map((shard) =>
        shardStub(env, input.runId, shard.index, shard.region).start({
          runId: input.runId,
          index: shard.index,
          region: shard.region,
          weights,
          config: input.config,
          startAtMs,
          ...(input.probe !== undefined ? { probe: input.probe } : {}),
        }),
      ),
    );
  } catch (error) {
    // Not every shard could start: stop the ones that did and end the run as failed, cleanly.
    const reason = `could not start every shard: ${String(error)}`;
    Object.assign(run, { state: 'failed', reason, finishedAtMs: Date.now() } satisfies Partial<RunRecord>);
    await storage.put('run', run);
    await Promise.all(
      input.plan.shards.map((shard) =>
        shardStub(env, input.runId, shard.index)
          .cancel()
          .catch(() => undefined),
      ),
    );
    await updateRun(env.DB, input.runId, {
      state: 'failed',
      reason,
      startedAtMs: startedAtMs(run),
      finishedAtMs: run.finishedAtMs,
    });
    throw error;
  }
  await storage.setAlarm(Date.now() + settings.HEARTBEAT_MS);
}

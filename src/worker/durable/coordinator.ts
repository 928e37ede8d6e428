import { DurableObject } from 'cloudflare:workers';
import { startedAtMs } from '../../core/report/run-results.ts';
import { nextCheckAtMs } from '../../core/run/coordinator-check.ts';
import { runTimeoutS } from '../../core/run/run-config.ts';
import { isTerminal, type RunState } from '../../core/run/run-state.ts';
import {
  addProgress,
  emptyProgress,
  isShardOver,
  type RunStatus,
  type ShardProgress,
} from '../../core/run/run-status.ts';
import { judgeProbeCounts, type ProbeStop } from '../../core/shard/probe-counts.ts';
import { isClosedLoop } from '../../core/workload/arrivals.ts';
import { settingsOf } from '../env.ts';
import { checkSilentShards } from './coordinator-dead-shards.ts';
import { finalizeRun } from './coordinator-finalize.ts';
import { startRun } from './coordinator-start.ts';
import {
  etaSeconds,
  probeCountsByRegion,
  publicShardStatus,
  type RunRecord,
  type ShardEntry,
  shardKey,
} from './coordinator-state.ts';
import { type ProbeRunStatus, type ShardFinal, type StartRunInput, shardStub } from './run-protocol.ts';
import { storePieces } from './storage-pieces.ts';

/**
 * One per run: starts the shards, tracks their heartbeats, handles cancel, notices dead shards and
 * finalises by merging shard summaries into the stored results. Every step is idempotent: alarms
 * are at-least-once and RPCs may be retried.
 */
export class Coordinator extends DurableObject<Env> {
  private async run(): Promise<RunRecord | undefined> {
    return this.ctx.storage.get<RunRecord>('run');
  }

  private async shards(): Promise<ShardEntry[]> {
    const map = await this.ctx.storage.list<ShardEntry>({ prefix: 'shard:' });
    return [...map.values()].sort((a, b) => a.index - b.index);
  }

  private putShard(entry: ShardEntry): Promise<void> {
    return this.ctx.storage.put(shardKey(entry.index), entry);
  }

  async start(input: StartRunInput): Promise<void> {
    if (await this.run()) return; // a retried start
    await startRun(this.env, this.ctx.storage, input);
  }

  /** A shard's heartbeat. The answer tells it whether the run wants it to stop. */
  async progress(index: number, progress: ShardProgress, colo: string | null): Promise<{ stop: boolean }> {
    const run = await this.run();
    const entry = await this.ctx.storage.get<ShardEntry>(shardKey(index));
    if (!run || !entry) return { stop: true };
    if (!isShardOver(entry.state)) {
      entry.state = 'running';
      entry.progress = progress;
      entry.colo = colo;
      entry.last_heartbeat_ms = Date.now();
      entry.pokes = 0;
      await this.putShard(entry);
    }
    const probeStop = await this.judgeProbe();
    return {
      stop:
        probeStop !== null ||
        run.cancelReason !== null ||
        (run.failReason ?? null) !== null ||
        isTerminal(run.state) ||
        isShardOver(entry.state),
    };
  }

  async shardFinished(index: number, final: ShardFinal): Promise<void> {
    const entry = await this.ctx.storage.get<ShardEntry>(shardKey(index));
    if (!entry || entry.state === 'finished' || entry.state === 'failed') return;
    await storePieces(this.ctx.storage, `summary:${index}:`, JSON.stringify(final.regions));
    Object.assign(entry, {
      state: final.failure === undefined ? 'finished' : 'failed',
      progress: final.progress,
      colo: final.colo,
      stop_reason: final.stopReason,
      last_heartbeat_ms: Date.now(),
      hasSummary: true,
      sends: final.sends,
      ...(final.instrumentCheck ? { instrumentCheck: final.instrumentCheck } : {}),
    } satisfies Partial<ShardEntry>);
    await this.putShard(entry);
    if (final.failure !== undefined) await this.failRun(final.failure);
    await this.judgeProbe();
    // Finalise from the alarm: a retried alarm repeats it safely.
    await this.ctx.storage.setAlarm(Date.now());
  }

  /**
   * A shard gave up: the run will end `failed` with its reason. The other shards stop as on a
   * cancel (what they measured is kept) and the run finalises once every one has reported.
   */
  private async failRun(reason: string): Promise<void> {
    const run = await this.run();
    if (!run || isTerminal(run.state) || run.state === 'finalizing') return;
    if ((run.failReason ?? null) === null) {
      run.failReason = reason;
      await this.ctx.storage.put('run', run);
    }
    await this.stopShards(run);
  }

  /**
   * Probe runs: sums the shards' probe counts and asks the probe rule whether the verdict is decided.
   * The first decision is kept (with the counts at that moment) and the shards are stopped as on a
   * cancel; the run then ends `done` with the decision as its reason. Returns the decision, if any.
   */
  private async judgeProbe(): Promise<ProbeStop | null> {
    const run = await this.run();
    if (!run?.probe) return null;
    if (run.probeStop) return run.probeStop;
    if (isTerminal(run.state) || run.state === 'finalizing' || run.cancelReason !== null) return null;
    const shards = await this.shards();
    const total = shards.reduce((sum, s) => addProgress(sum, s.progress), emptyProgress(0));
    // The counts are as of each shard's last heartbeat: time the rate from the oldest of them, so a
    // stale heartbeat can only make the achieved rate look higher, never fail a probe wrongly.
    const asOfMs = Math.min(...shards.map((s) => s.last_heartbeat_ms ?? run.startAtMs));
    const stop = judgeProbeCounts(run.probe, total.probe_counts ?? {}, {
      elapsed_s: Math.max(0, asOfMs - run.startAtMs) / 1000,
      dispatched: total.dispatched,
      closedLoop: isClosedLoop(run.config.workload.arrivals),
      regions: probeCountsByRegion(shards),
    });
    if (stop === null) return null;
    // Re-read: a concurrent heartbeat may have decided first while this one awaited.
    const latest = (await this.run()) ?? run;
    if (latest.probeStop) return latest.probeStop;
    latest.probeStop = stop;
    await this.ctx.storage.put('run', latest);
    await this.stopShards(latest);
    await this.ctx.storage.setAlarm(Date.now() + 100);
    return stop;
  }

  /** Probe runs: the rule, the summed live counts and the early decision (null before any). */
  async probeStatus(): Promise<ProbeRunStatus | null> {
    const run = await this.run();
    if (!run?.probe) return null;
    const shards = await this.shards();
    const total = shards.reduce((sum, s) => addProgress(sum, s.progress), emptyProgress(0));
    return {
      state: run.state,
      startAtMs: run.startAtMs,
      counts: total.probe_counts ?? {},
      regions: probeCountsByRegion(shards),
      stop: run.probeStop ?? null,
    };
  }

  private async stopShards(run: RunRecord): Promise<void> {
    const shards = await this.shards();
    await Promise.all(
      shards
        .filter((s) => !isShardOver(s.state))
        .map((s) =>
          shardStub(this.env, run.runId, s.index)
            .cancel()
            .catch(() => undefined),
        ),
    );
  }

  /** Asks every shard to stop; results are finalised from what they measured. */
  async cancel(reason: string): Promise<{ accepted: boolean; state: RunState }> {
    const run = await this.run();
    if (!run) return { accepted: false, state: 'failed' };
    if (isTerminal(run.state) || run.state === 'finalizing') return { accepted: false, state: run.state };
    if (run.cancelReason === null) {
      run.cancelReason = reason;
      await this.ctx.storage.put('run', run);
    }
    await this.stopShards(run);
    await this.ctx.storage.setAlarm(Date.now() + 100);
    return { accepted: true, state: run.state };
  }

  async status(): Promise<RunStatus | null> {
    const run = await this.run();
    if (!run) return null;
    const shards = await this.shards();
    const regions: RunStatus['regions'] = {};
    const total = emptyProgress(0);
    for (const s of shards) {
      const region = regions[s.region] ?? { ...emptyProgress(0), shards: 0 };
      addProgress(region, s.progress);
      region.shards++;
      regions[s.region] = region;
      addProgress(total, s.progress);
    }
    return {
      id: run.runId,
      name: run.name,
      state: run.state,
      reason: run.reason ?? run.cancelReason ?? run.failReason ?? null,
      created_at_ms: run.createdAtMs,
      started_at_ms: startedAtMs(run),
      finished_at_ms: run.finishedAtMs,
      eta_s: etaSeconds(run, total, Date.now()),
      regions,
      shards: shards.map(publicShardStatus),
    };
  }

  override async alarm(): Promise<void> {
    try {
      await this.tick();
    } catch (error) {
      // The platform gives up after 6 retries; a run must never be left running or finalizing.
      console.error(
        `coordinator ${(await this.run())?.runId ?? '?'}: alarm failed, retrying: ${String(error)}`,
      );
      await this.ctx.storage.setAlarm(Date.now() + 10_000);
    }
  }

  private async tick(): Promise<void> {
    const run = await this.run();
    if (!run || isTerminal(run.state)) return;
    const settings = settingsOf(this.env);
    const now = Date.now();
    const shards = await this.shards();
    if (shards.every((s) => isShardOver(s.state))) {
      await finalizeRun(this.env, this.ctx.storage, run, shards);
      return;
    }
    if (run.cancelReason === null && now > run.startAtMs + runTimeoutS(run.config) * 1000) {
      await this.cancel(`timeout: the run exceeded its run timeout (${runTimeoutS(run.config)} s)`);
      return;
    }
    await checkSilentShards(this.env, this.ctx.storage, run, shards, now, settings.DEAD_SHARD_MS);
    const after = await this.shards();
    if (after.every((s) => isShardOver(s.state))) {
      await finalizeRun(this.env, this.ctx.storage, run, after);
      return;
    }
    await this.ctx.storage.setAlarm(
      nextCheckAtMs(
        now,
        { heartbeatMs: settings.HEARTBEAT_MS, deadShardMs: settings.DEAD_SHARD_MS },
        run.startAtMs + runTimeoutS(run.config) * 1000,
      ),
    );
  }
}

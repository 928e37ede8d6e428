import { DurableObject } from 'cloudflare:workers';
import { Analyzer } from '../../core/metrics/analysis.ts';
import type { RunSummaryState } from '../../core/metrics/run-summary.ts';
import { buildResults, startedAtMs } from '../../core/report/run-results.ts';
import { nextCheckAtMs } from '../../core/run/coordinator-check.ts';
import { deadlineOptionsOf, prefillPredictorOf, runTimeoutS } from '../../core/run/run-config.ts';
import { isTerminal, type RunState } from '../../core/run/run-state.ts';
import {
  addProgress,
  emptyProgress,
  isShardOver,
  type RunStatus,
  type ShardProgress,
} from '../../core/run/run-status.ts';
import { instrumentCheckLeadMs } from '../../core/shard/instrument-check.ts';
import { judgeProbeCounts, type ProbeStop } from '../../core/shard/probe-counts.ts';
import { isClosedLoop } from '../../core/workload/arrivals.ts';
import { settingsOf } from '../env.ts';
import { recordRunHistory } from '../history/record-history.ts';
import { transitionRun, updateRun } from '../storage/runs-store.ts';
import {
  endOf,
  etaSeconds,
  probeCountsByRegion,
  publicShardStatus,
  type RunRecord,
  type ShardEntry,
} from './coordinator-state.ts';
import { type ProbeRunStatus, type ShardFinal, type StartRunInput, shardStub } from './run-protocol.ts';
import { loadPieces, storePieces } from './storage-pieces.ts';

const MAX_POKES = 3;

const shardKey = (index: number) => `shard:${String(index).padStart(4, '0')}`;

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
    const settings = settingsOf(this.env);
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
      await this.putShard({
        index: shard.index,
        region: shard.region,
        state: 'starting',
        colo: null,
        progress: emptyProgress(null),
        last_heartbeat_ms: null,
        stop_reason: null,
        pokes: 0,
        hasSummary: false,
      });
    await this.ctx.storage.put('run', run);
    await transitionRun(this.env.DB, input.runId, ['queued'], { state: 'running', startedAtMs: startAtMs });
    try {
      await Promise.all(
        input.plan.shards.map((shard) =>
          shardStub(this.env, input.runId, shard.index, shard.region).start({
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
      await this.ctx.storage.put('run', run);
      await Promise.all(
        input.plan.shards.map((shard) =>
          shardStub(this.env, input.runId, shard.index)
            .cancel()
            .catch(() => undefined),
        ),
      );
      await updateRun(this.env.DB, input.runId, {
        state: 'failed',
        reason,
        startedAtMs: startedAtMs(run),
        finishedAtMs: run.finishedAtMs,
      });
      throw error;
    }
    await this.ctx.storage.setAlarm(Date.now() + settings.HEARTBEAT_MS);
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
      await this.finalize(run, shards);
      return;
    }
    if (run.cancelReason === null && now > run.startAtMs + runTimeoutS(run.config) * 1000) {
      await this.cancel(`timeout: the run exceeded its run timeout (${runTimeoutS(run.config)} s)`);
      return;
    }
    for (const listed of shards) {
      if (isShardOver(listed.state)) continue;
      const seen = listed.last_heartbeat_ms ?? run.startAtMs;
      if (now - seen < settings.DEAD_SHARD_MS) continue;
      if (listed.pokes < MAX_POKES)
        // Re-arms the shard's alarm if it lost it; it resumes from its own stored progress.
        await shardStub(this.env, run.runId, listed.index)
          .resume()
          .catch(() => undefined);
      // Re-read after the await: a heartbeat or the shard's final report may have come in meanwhile.
      const s = await this.ctx.storage.get<ShardEntry>(shardKey(listed.index));
      if (!s || isShardOver(s.state) || s.last_heartbeat_ms !== listed.last_heartbeat_ms) continue;
      if (s.pokes >= MAX_POKES) {
        s.state = 'dead';
        s.stop_reason = `no heartbeat for ${Math.round((now - seen) / 1000)} s after ${MAX_POKES} restarts`;
      } else {
        s.pokes++;
        s.last_heartbeat_ms = now;
      }
      await this.putShard(s);
    }
    const after = await this.shards();
    if (after.every((s) => isShardOver(s.state))) {
      await this.finalize(run, after);
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

  private async finalize(run: RunRecord, shards: ShardEntry[]): Promise<void> {
    if (run.state !== 'finalizing') {
      run.state = 'finalizing';
      await this.ctx.storage.put('run', run);
      await transitionRun(this.env.DB, run.runId, ['queued', 'running'], { state: 'finalizing' });
    }
    const prefillPredictor = prefillPredictorOf(run.config);
    const analyzer = new Analyzer({
      deadlines: deadlineOptionsOf(run.config),
      ...(prefillPredictor !== undefined ? { prefillPredictor } : {}),
    });
    for (const s of shards) {
      if (!s.hasSummary) continue;
      const json = await loadPieces(this.ctx.storage, `summary:${s.index}:`);
      if (json) analyzer.absorb(JSON.parse(json) as Record<string, RunSummaryState>, []);
    }
    const total = shards.reduce((sum, s) => addProgress(sum, s.progress), emptyProgress(0));
    const { state, reason } = endOf(run, shards, total);
    const finishedAtMs = Date.now();
    const results = buildResults({
      run: { ...run, state, reason, finishedAtMs },
      shards,
      report: analyzer.report(),
    });
    await updateRun(this.env.DB, run.runId, {
      state,
      reason,
      startedAtMs: startedAtMs({ ...run, finishedAtMs }),
      finishedAtMs,
      resultsJson: JSON.stringify(results),
    });
    // Before the run is marked ended here, so a retried finalize writes them again (idempotent).
    // A probe's figures belong to its search (stored as its capacity), not to the history.
    if (!run.probe) await recordRunHistory(this.env, results);
    Object.assign(run, { state, reason, finishedAtMs });
    await this.ctx.storage.put('run', run);
    // The shards keep their raw records until now; they can let them go.
    await Promise.all(
      shards.map((s) =>
        shardStub(this.env, run.runId, s.index)
          .release()
          .catch(() => undefined),
      ),
    );
  }
}

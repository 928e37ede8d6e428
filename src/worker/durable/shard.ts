import { DurableObject } from 'cloudflare:workers';
import { abortableSleep } from '../../core/run/abortable-sleep.ts';
import { emptyProgress, emptyUsage, type ShardProgress } from '../../core/run/run-status.ts';
import { instrumentCheckLeadMs } from '../../core/shard/instrument-check.ts';
import type { InvocationBudget } from '../../core/shard/invocation-budget.ts';
import {
  describeStop,
  runShardLoop,
  type ShardStopReason,
  withPositions,
} from '../../core/shard/shard-loop.ts';
import { countShardRequests, planShardRequests } from '../../core/shard/shard-plan.ts';
import { afterFailedAlarm, planSlice, shardFailure } from '../../core/shard/slice-plan.ts';
import { createDeferQueue } from '../../core/stream/defer-task.ts';
import { type Settings, settingsOf } from '../env.ts';
import { CompletionBatcher } from './completion-batcher.ts';
import { RecordFlusher } from './record-flusher.ts';
import { coordinatorStub, type ShardAssignment } from './run-protocol.ts';
import { failedShardFinal, recoverInFlight, shardFinal } from './shard-final.ts';
import { heartbeatLoop, lookupColo, sliceBudget } from './shard-heartbeat.ts';
import { runInstrumentCheck } from './shard-instrument-check.ts';
import { type SendSlice, ShardSender } from './shard-send.ts';
import { type ShardPhase, ShardStorage } from './shard-storage.ts';

/** How long a read's bytes may wait to be decoded (its timestamp is already taken). */
const DECODE_BATCH_MS = 2;

/**
 * One per (run, shard): derives its own share of the seeded workload, streams it, keeps every
 * finished record in its SQLite until D1 has it, heartbeats to the coordinator and, at the end,
 * sends it a mergeable summary. Runs inside awaited alarms (streams must live inside a handler),
 * in slices under the 15-minute alarm limit; a retried or restarted alarm resumes from storage.
 */
export class Shard extends DurableObject<Env> {
  private readonly store: ShardStorage;
  private abort: AbortController | null = null;
  private running = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new ShardStorage(ctx.storage);
  }

  async start(assignment: ShardAssignment): Promise<void> {
    if (this.store.assignment()) return; // a retried start
    this.store.set('assignment', assignment);
    this.store.set('phase', 'running' satisfies ShardPhase);
    const lead = instrumentCheckLeadMs(assignment.config.instrument_check);
    await this.ctx.storage.setAlarm(Math.max(Date.now(), assignment.startAtMs - 250 - lead));
  }

  async cancel(): Promise<void> {
    this.store.set('cancelled', true);
    this.abort?.abort();
    if (!this.running && this.store.get('phase') === 'running') await this.ctx.storage.setAlarm(Date.now());
  }

  /** Called by the coordinator when heartbeats stop: re-arms the alarm unless a slice is running. */
  async resume(): Promise<void> {
    if (this.running || !this.store.assignment()) return;
    if (this.store.get('phase') === 'released') return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  /** The run is finalised: the raw records live in D1 now. */
  async release(): Promise<void> {
    this.store.set('cancelled', true);
    this.abort?.abort();
    this.store.set('phase', 'released' satisfies ShardPhase);
    this.store.dropRecords();
    await this.ctx.storage.deleteAlarm();
  }

  override async alarm(): Promise<void> {
    const assignment = this.store.assignment();
    const phase = this.store.get('phase');
    if (!assignment || phase === 'released' || this.running) return;
    if (phase === 'finished') {
      await this.report(assignment);
      return;
    }
    this.running = true;
    try {
      await this.runSlice(assignment);
      this.store.set('failed_alarms', 0);
    } catch (error) {
      await this.alarmFailed(assignment, error);
    } finally {
      this.running = false;
    }
  }

  /**
   * An alarm that throws is retried here rather than by the platform (which gives up silently after
   * six): a few times with backoff, then the shard reports itself failed with the error, so the run
   * ends `failed` instead of staying `running` (see afterFailedAlarm for the numbers).
   */
  private async alarmFailed(a: ShardAssignment, error: unknown): Promise<void> {
    const failed = (this.store.get('failed_alarms') ?? 0) + 1;
    this.store.set('failed_alarms', failed);
    const next = afterFailedAlarm(failed);
    console.error(`shard ${a.runId}/${a.index}: alarm ${failed} failed: ${String(error)}`);
    if (this.store.get('phase') !== 'running') {
      // Reporting failed (the coordinator is unreachable): retry; it notices a silent shard anyway.
      await this.ctx.storage.setAlarm(Date.now() + (next.giveUp ? 10_000 : next.retryInMs));
      return;
    }
    if (!next.giveUp) {
      await this.ctx.storage.setAlarm(Date.now() + next.retryInMs);
      return;
    }
    const reason = shardFailure(a, failed, error);
    // Best effort: what it measured still counts. None may keep the failure from being reported.
    const final = await failedShardFinal(this.env, this.store, a, reason);
    this.store.set('stop', reason);
    this.store.set('phase', 'finished' satisfies ShardPhase);
    this.store.set('final', final);
    await this.report(a);
  }

  private async runSlice(a: ShardAssignment): Promise<void> {
    const sliceStartMs = Date.now();
    const settings = settingsOf(this.env);
    const progress = { ...emptyProgress(null), ...this.store.get('progress') };
    // Counting walks the shard's whole plan (up to 10M requests): once per shard, not per slice.
    progress.scheduled ??= countShardRequests(a.config.workload, a.weights, a.index);
    progress.in_flight = 0;
    progress.slices++;
    // Saved counters may lag the flushes of the last moments before a restart.
    progress.records_flushed = this.store.flushedRecords();
    recoverInFlight(this.store, a, progress);
    this.store.set('progress', progress);
    const poisoned = settings.TEST_SHARD_THROW;
    if (poisoned !== undefined && poisoned === `${a.config.name}/${a.index}`)
      throw new Error(`TEST_SHARD_THROW: shard ${a.index} of run "${a.config.name}" throws on every alarm`);
    const colo = await lookupColo(this.store, settings.COLO_TRACE_URL);
    const budget = sliceBudget(settings);

    // A shard that already decided to stop (and then failed its final flush) only finishes: a
    // retried alarm must not start sending again past a limit.
    let stop = this.store.get('stop_kind');
    if (stop === undefined && progress.slices === 1) await this.instrumentCheck(a);
    if (stop === undefined) {
      stop = await this.dispatch(a, settings, progress, colo, budget);
      if (stop !== 'slice_end') this.store.set('stop_kind', stop);
    }
    await new RecordFlusher(this.store, this.env.DB, a, progress, budget).final();
    progress.usage ??= emptyUsage();
    const usage = progress.usage;
    usage.do_rows_written += this.store.takeRowsWritten();
    usage.active_ms += Date.now() - sliceStartMs;
    this.store.set('progress', progress);
    if (this.store.get('phase') === 'released') return;
    if (stop === 'slice_end') {
      await this.ctx.storage.setAlarm(Date.now());
      return;
    }
    this.store.set('stop', describeStop(stop, a.config.limits));
    this.store.set('phase', 'finished' satisfies ShardPhase);
    this.store.set('final', shardFinal(this.store, a, progress, colo));
    await this.report(a);
  }

  /** Sends this slice's requests; returns why it stopped once every one of them has finished. */
  private async dispatch(
    a: ShardAssignment,
    settings: Settings,
    progress: ShardProgress,
    colo: string | null,
    budget: InvocationBudget,
  ): Promise<ShardStopReason> {
    const { config } = a;
    const abort = new AbortController();
    this.abort = abort;
    if (this.store.get('cancelled')) abort.abort();

    const sender = new ShardSender(this.env, a);

    // Caps split the run's limits exactly over shards; the slice ends at its first stop rule.
    const now = Date.now();
    const slice = planSlice(a, now, settings.SHARD_SLICE_S);
    let limitHit: ShardStopReason | null = null;
    const requests = withPositions(
      planShardRequests(config.workload, a.weights, a.index),
      this.store.nextPosition(),
      slice.requestCap,
      () => {
        limitHit = 'limit_max_requests';
      },
    );

    let stopped = false;
    // Aborted when the slice's sends are over: the flusher's loop ends at once (final() follows).
    const ended = new AbortController();
    // Set when this shard's own probe counts decide the probe: heartbeat at once, not in 2 s.
    const wake = { now: false };
    // Decoding waits at most DECODE_BATCH_MS: one timer per batch of reads, not one per read.
    const defer = createDeferQueue(DECODE_BATCH_MS);
    const completed = new CompletionBatcher(this.store, progress, defer);
    const sends: SendSlice = {
      store: this.store,
      progress,
      budget,
      signal: abort.signal,
      wake,
      completed,
      defer,
    };
    const flusher = new RecordFlusher(this.store, this.env.DB, a, progress, budget);
    // Heartbeats at origin + k·HEARTBEAT_MS, flushes half a beat later: each is a few ms of a
    // thread the read loop shares, and run in the same moment their stalls would add up.
    const originMs = Date.now();
    const background = [
      flusher.loop(ended.signal, { originMs, phaseMs: settings.HEARTBEAT_MS / 2 }),
      heartbeatLoop(this.env, this.store, {
        a,
        progress,
        colo,
        abort,
        budget,
        stopped: () => stopped,
        wake,
        originMs,
      }),
    ];
    try {
      const result = await runShardLoop({
        requests,
        startAtMs: a.startAtMs,
        concurrency: slice.closedConcurrency,
        dispatchUntilMs: slice.dispatchUntilMs,
        untilReason: slice.untilReason,
        maxInFlight: slice.maxInFlight,
        // Requests that fell due while the previous slice drained are a backlog, not a burst.
        capFromMs: slice.capFromMs,
        // Records not yet in D1 (finished or still streaming) must still fit this invocation's budget.
        budgetLeft: () =>
          budget.canSend(
            RecordFlusher.queriesFor(progress.done + progress.in_flight + 1 - progress.records_flushed),
          ),
        nowMs: Date.now,
        sleep: abortableSleep,
        signal: abort.signal,
        // A throwing prepare (a bug, a poisoned request): stop the sends in flight before failing.
        onFailure: () => abort.abort(),
        prepare: (planned) => sender.prepare(planned, sends),
      });
      return limitHit ?? result.stop;
    } finally {
      ended.abort();
      completed.flush();
      if (this.abort === abort) this.abort = null;
      await background[0];
      try {
        // The last records reach D1 while the heartbeat still runs, so a D1 outage at the end is
        // retried and counted without the coordinator taking the shard for dead.
        await flusher.final();
      } finally {
        // Also when the loop throws: no heartbeat may keep a broken slice looking alive.
        stopped = true;
        await background[1];
      }
    }
  }

  /** The instrument check, once per shard, before the load (shard-instrument-check.ts). */
  private async instrumentCheck(a: ShardAssignment): Promise<void> {
    if (this.store.get('instrument_check') !== undefined) return;
    const loopback: typeof fetch = (input, init) => this.ctx.exports.default.fetch(new Request(input, init));
    const sample = await runInstrumentCheck(a, loopback, this.env.SIM_API_KEY);
    if (sample) this.store.set('instrument_check', sample);
  }

  private async report(a: ShardAssignment): Promise<void> {
    const final = this.store.get('final');
    if (!final) throw new Error('invariant: a finished shard has no final summary');
    // Throws when the coordinator is unreachable; the alarm retry sends it again.
    await coordinatorStub(this.env, a.runId).shardFinished(a.index, final);
  }
}

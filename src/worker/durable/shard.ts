import { DurableObject } from 'cloudflare:workers';
import { Analyzer } from '../../core/metrics/analysis.ts';
import { abortableSleep } from '../../core/run/abortable-sleep.ts';
import { deadlineOptionsOf } from '../../core/run/run-config.ts';
import { countOutcome, emptyProgress, type ShardProgress } from '../../core/run/run-status.ts';
import { InvocationBudget } from '../../core/shard/invocation-budget.ts';
import {
  describeStop,
  runShardLoop,
  type ShardStopReason,
  withPositions,
} from '../../core/shard/shard-loop.ts';
import {
  closedLoopConcurrency,
  countShardRequests,
  planShardRequests,
  STREAM_PROMPTS,
} from '../../core/shard/shard-plan.ts';
import { adapterFor } from '../../core/stream/adapters.ts';
import { HeaderWaitGauge } from '../../core/stream/header-wait-gauge.ts';
import { streamRequest } from '../../core/stream/stream-request.ts';
import { buildPrompt } from '../../core/workload/prompt-builder.ts';
import { createRandom } from '../../core/workload/seeded-random.ts';
import { type Settings, secretValue, settingsOf } from '../env.ts';
import { RecordFlusher } from './record-flusher.ts';
import { coordinatorStub, type ShardAssignment, type ShardFinal } from './run-protocol.ts';
import { type ShardRecord, ShardStorage } from './shard-storage.ts';

type Phase = 'running' | 'finished' | 'released';

/** The alarm wall-time limit (15 min) less a margin. */
const ALARM_WALL_S = 870;

/** A 32-bit FNV-1a hash of a string (a run's prompt nonce). */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

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
    this.store.set('phase', 'running' satisfies Phase);
    await this.ctx.storage.setAlarm(Math.max(Date.now(), assignment.startAtMs - 250));
  }

  async cancel(): Promise<void> {
    this.store.set('cancelled', true);
    this.abort?.abort();
    if (!this.running && this.store.get<Phase>('phase') === 'running')
      await this.ctx.storage.setAlarm(Date.now());
  }

  /** Called by the coordinator when heartbeats stop: re-arms the alarm unless a slice is running. */
  async resume(): Promise<void> {
    if (this.running || !this.store.assignment()) return;
    if (this.store.get<Phase>('phase') === 'released') return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  /** The run is finalised: the raw records live in D1 now. */
  async release(): Promise<void> {
    this.store.set('cancelled', true);
    this.abort?.abort();
    this.store.set('phase', 'released' satisfies Phase);
    this.store.dropRecords();
    await this.ctx.storage.deleteAlarm();
  }

  override async alarm(): Promise<void> {
    const assignment = this.store.assignment();
    const phase = this.store.get<Phase>('phase');
    if (!assignment || phase === 'released' || this.running) return;
    if (phase === 'finished') {
      await this.report(assignment);
      return;
    }
    this.running = true;
    try {
      await this.runSlice(assignment);
    } finally {
      this.running = false;
    }
  }

  private async runSlice(a: ShardAssignment): Promise<void> {
    const settings = settingsOf(this.env);
    const progress = this.store.get<ShardProgress>('progress') ?? emptyProgress(null);
    progress.scheduled = countShardRequests(a.config.workload, a.weights, a.index);
    progress.in_flight = 0;
    progress.slices++;
    this.recoverInFlight(a, progress);
    this.store.set('progress', progress);
    const colo = await this.colo(settings.COLO_TRACE_URL);
    const budget = new InvocationBudget({
      maxSubrequests: settings.SLICE_MAX_SUBREQUESTS,
      maxD1Queries: settings.SLICE_MAX_D1_QUERIES,
    });

    // A shard that already decided to stop (and then failed its final flush) only finishes: a
    // retried alarm must not start sending again past a limit.
    let stop = this.store.get<ShardStopReason>('stop_kind');
    if (stop === undefined) {
      stop = await this.dispatch(a, settings, progress, colo, budget);
      if (stop !== 'slice_end') this.store.set('stop_kind', stop);
    }
    await new RecordFlusher(this.store, this.env.DB, a, progress, budget).final();
    this.store.set('progress', progress);
    if (this.store.get<Phase>('phase') === 'released') return;
    if (stop === 'slice_end') {
      await this.ctx.storage.setAlarm(Date.now());
      return;
    }
    this.store.set('stop', describeStop(stop, a.config.limits));
    this.store.set('phase', 'finished' satisfies Phase);
    this.store.set('final', this.summarize(a, progress, colo));
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
    if (this.store.get<boolean>('cancelled')) abort.abort();

    const apiKeyName = config.target.api_key_secret;
    const apiKey = apiKeyName ? secretValue(this.env, apiKeyName) : undefined;
    const adapter = adapterFor(config.target.api);
    const gauge = new HeaderWaitGauge();
    const timeoutMs = config.timeouts.request_s * 1000;
    const fetcher: typeof fetch = (input, init) => fetch(input, init);
    // Prompts differ between runs of the same seed, so a provider's cache never serves a rerun.
    const runNonce = hashString(a.runId);

    // Closed-loop requests follow each shard's loops, open-loop ones its weight.
    const closed =
      config.workload.arrivals.type === 'concurrency'
        ? closedLoopConcurrency(config.workload.arrivals.n, a.weights, a.index)
        : null;
    const share =
      closed !== null && config.workload.arrivals.type === 'concurrency'
        ? closed / config.workload.arrivals.n
        : (a.weights[a.index] ?? 0);
    let limitHit: ShardStopReason | null = null;
    const requests = withPositions(
      planShardRequests(config.workload, a.weights, a.index),
      this.store.nextPosition(),
      Math.ceil(config.limits.max_requests * share),
      () => {
        limitHit = 'limit_max_requests';
      },
    );
    // The slice, its drain (up to one request timeout) and the final flush fit the 15-minute alarm.
    const now = Date.now();
    const sliceS = Math.min(
      settings.SHARD_SLICE_S,
      Math.max(60, ALARM_WALL_S - config.timeouts.request_s - 60),
    );
    const ends: [number, ShardStopReason][] = [
      [now + sliceS * 1000, 'slice_end'],
      [a.startAtMs + config.limits.max_duration_s * 1000, 'limit_max_duration'],
    ];
    if (closed !== null && config.workload.duration_s !== undefined)
      ends.push([a.startAtMs + config.workload.duration_s * 1000, 'duration_reached']);
    ends.sort((x, y) => x[0] - y[0]);
    const [dispatchUntilMs, untilReason] = ends[0] as [number, ShardStopReason];

    let stopped = false;
    const flusher = new RecordFlusher(this.store, this.env.DB, a, progress, budget);
    const background = [
      flusher.loop(() => stopped),
      this.heartbeatLoop(a, progress, colo, abort, budget, () => stopped),
    ];
    try {
      const result = await runShardLoop({
        requests,
        startAtMs: a.startAtMs,
        concurrency: closed,
        dispatchUntilMs,
        untilReason,
        maxInFlight: Math.max(1, Math.ceil(config.limits.max_concurrency * share)),
        // Requests that fell due while the previous slice drained are a backlog, not a burst.
        capFromMs: now,
        // Records not yet in D1 (finished or still streaming) must still fit this invocation's budget.
        budgetLeft: () =>
          budget.canSend(
            RecordFlusher.queriesFor(progress.done + progress.in_flight + 1 - progress.records_flushed),
          ),
        nowMs: Date.now,
        sleep: abortableSleep,
        signal: abort.signal,
        prepare: (planned) => {
          const id = `${a.runId}-${planned.seq}`;
          const prompt = buildPrompt(
            planned.promptTokens,
            createRandom(config.workload.seed, STREAM_PROMPTS, planned.seq, runNonce),
          );
          return async (scheduledAtMs) => {
            this.store.markDispatched({
              pos: planned.pos,
              seq: planned.seq,
              id,
              scheduledAtMs: scheduledAtMs ?? null,
              dispatchedAtMs: Date.now(),
              promptTokens: planned.promptTokens,
              warmup: planned.warmup,
            });
            progress.dispatched++;
            progress.in_flight++;
            budget.subrequests++;
            const { record, headerWaitSaturated } = await streamRequest({
              fetch: fetcher,
              nowMs: Date.now,
              adapter,
              target: config.target,
              ...(apiKey !== undefined ? { apiKey } : {}),
              id,
              prompt,
              promptTokens: planned.promptTokens,
              maxTokens: planned.outputTokens,
              ...(scheduledAtMs !== undefined ? { scheduledAtMs } : {}),
              timeoutMs,
              signal: abort.signal,
              gauge,
            });
            progress.in_flight--;
            countOutcome(progress, record.outcome, record.chunks.length);
            if (headerWaitSaturated) progress.dispatched_while_saturated++;
            progress.max_awaiting_headers = Math.max(progress.max_awaiting_headers, gauge.maxWaiting);
            if (record.scheduled_at_ms !== undefined)
              progress.max_schedule_lag_ms = Math.max(
                progress.max_schedule_lag_ms,
                record.sent_at_ms - record.scheduled_at_ms,
              );
            const stored = {
              ...record,
              region: a.region,
              shard: a.index,
              seq: planned.seq,
              warmup: planned.warmup,
            };
            this.store.complete(planned.pos, stored, progress);
          };
        },
      });
      return limitHit ?? result.stop;
    } finally {
      // Also when the loop throws: no heartbeat may keep a broken slice looking alive.
      stopped = true;
      if (this.abort === abort) this.abort = null;
      await Promise.all(background);
    }
  }

  /** Requests in flight when the isolate died cannot be resumed: they are recorded, not lost. */
  private recoverInFlight(a: ShardAssignment, progress: ShardProgress): void {
    for (const row of this.store.inFlight()) {
      // The send mark died with the isolate; the dispatch mark was taken just before it.
      const sentAtMs = row.dispatchedAtMs ?? row.scheduledAtMs ?? Date.now();
      const record: ShardRecord = {
        id: row.id,
        region: a.region,
        ...(row.scheduledAtMs !== null ? { scheduled_at_ms: row.scheduledAtMs } : {}),
        sent_at_ms: sentAtMs,
        prompt_tokens: row.promptTokens,
        output_tokens: 0,
        chunks: [],
        token_count_source: 'events',
        outcome: 'network_error',
        error: 'the shard restarted while this request was in flight; its stream was lost',
        shard: a.index,
        seq: row.seq,
        warmup: row.warmup,
      };
      countOutcome(progress, 'network_error', 0);
      this.store.complete(row.pos, record, progress);
    }
  }

  private summarize(a: ShardAssignment, progress: ShardProgress, colo: string | null): ShardFinal {
    const analyzer = new Analyzer({ deadlines: deadlineOptionsOf(a.config) });
    const sends: ShardFinal['sends'] = { count: 0, firstMs: null, lastMs: null };
    for (const record of this.store.records()) {
      if (record.warmup) continue;
      const { shard: _s, seq: _q, warmup: _w, ...interchange } = record;
      analyzer.add(interchange);
      sends.count++;
      sends.firstMs = Math.min(sends.firstMs ?? record.sent_at_ms, record.sent_at_ms);
      sends.lastMs = Math.max(sends.lastMs ?? record.sent_at_ms, record.sent_at_ms);
    }
    return {
      progress,
      colo,
      stopReason: this.store.get<string>('stop') ?? 'completed',
      regions: analyzer.regionStates(),
      sends,
    };
  }

  private async report(a: ShardAssignment): Promise<void> {
    const final = this.store.get<ShardFinal>('final');
    if (!final) throw new Error('invariant: a finished shard has no final summary');
    // Throws when the coordinator is unreachable; the alarm retry sends it again.
    await coordinatorStub(this.env, a.runId).shardFinished(a.index, final);
  }

  private async heartbeatLoop(
    a: ShardAssignment,
    progress: ShardProgress,
    colo: string | null,
    abort: AbortController,
    budget: InvocationBudget,
    stopped: () => boolean,
  ): Promise<void> {
    const settings = settingsOf(this.env);
    const coordinator = coordinatorStub(this.env, a.runId);
    while (!stopped()) {
      try {
        this.store.set('progress', progress);
        budget.subrequests++;
        const { stop } = await coordinator.progress(a.index, progress, colo);
        if (stop) {
          this.store.set('cancelled', true);
          abort.abort();
        }
      } catch (error) {
        console.warn(`shard ${a.runId}/${a.index}: heartbeat failed: ${String(error)}`);
      }
      await abortableSleep(settings.HEARTBEAT_MS, undefined, stopped);
    }
  }

  /** The Cloudflare colo this object runs in, from a trace endpoint; null when not configured. */
  private async colo(traceUrl: string | undefined): Promise<string | null> {
    const known = this.store.get<string | null>('colo');
    if (known !== undefined) return known;
    let colo: string | null = null;
    if (traceUrl) {
      try {
        const text = await (await fetch(traceUrl, { signal: AbortSignal.timeout(5_000) })).text();
        colo = /^colo=(\w+)$/m.exec(text)?.[1] ?? null;
      } catch {
        colo = null;
      }
    }
    this.store.set('colo', colo);
    return colo;
  }
}

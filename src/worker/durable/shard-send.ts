import type { ShardProgress } from '../../core/run/run-status.ts';
import type { InvocationBudget } from '../../core/shard/invocation-budget.ts';
import { countProbeRequest } from '../../core/shard/probe-counts.ts';
import type { PlannedRequest } from '../../core/shard/shard-plan.ts';
import {
  countFinished,
  promptRandom,
  requestIdOf,
  runNonce,
  type ShardRecord,
} from '../../core/shard/shard-record.ts';
import { adapterFor } from '../../core/stream/adapters.ts';
import type { DeferTask } from '../../core/stream/defer-task.ts';
import { HeaderWaitGauge } from '../../core/stream/header-wait-gauge.ts';
import { streamRequest } from '../../core/stream/stream-request.ts';
import { buildPrompt } from '../../core/workload/prompt-builder.ts';
import { secretValue } from '../env.ts';
import { aiBindingFetch, aiBindingOf } from '../workers-ai-binding.ts';
import type { CompletionBatcher } from './completion-batcher.ts';
import type { ShardAssignment } from './run-protocol.ts';
import type { ShardStorage } from './shard-storage.ts';

/** What one slice's sends share: its counters, its budget, its abort and where records go. */
export interface SendSlice {
  store: ShardStorage;
  progress: ShardProgress;
  budget: InvocationBudget;
  /** Aborts every send of the slice (cancel, a probe decided, a failing prepare). */
  signal: AbortSignal;
  /** Set when this shard's own probe counts decide the probe: the heartbeat goes at once. */
  wake: { now: boolean };
  completed: CompletionBatcher;
  defer: DeferTask;
}

/**
 * The per-request send of a shard (the `prepare` its loop is given): the prompt, built before the
 * request is due; then, when due, the dispatch marked in storage, the request streamed, its outcome
 * counted and its record handed to the slice's CompletionBatcher. In its own file so the Shard
 * object keeps only the slice's orchestration. One per slice: the key, adapter, fetch and
 * header-wait gauge are set up once for all of the slice's requests.
 */
export class ShardSender {
  private readonly a: ShardAssignment;
  private readonly apiKey: string | undefined;
  private readonly adapter: ReturnType<typeof adapterFor>;
  private readonly gauge = new HeaderWaitGauge();
  private readonly timeoutMs: number;
  private readonly secret: (name: string) => string | undefined;
  private readonly fetcher: typeof fetch;
  private readonly nonce: number;

  constructor(env: Env, a: ShardAssignment) {
    const { config } = a;
    this.a = a;
    const apiKeyName = config.target.api_key_secret;
    this.apiKey = apiKeyName ? secretValue(env, apiKeyName) : undefined;
    this.adapter = adapterFor(config.target.api);
    this.timeoutMs = config.timeouts.request_s * 1000;
    this.secret = (name: string): string | undefined => secretValue(env, name);
    this.fetcher = shardFetch(env, config.target.ai_binding);
    // Prompts differ between runs of the same seed, so a provider's cache never serves a rerun.
    this.nonce = runNonce(a.runId);
  }

  prepare(
    planned: PlannedRequest & { pos: number },
    slice: SendSlice,
  ): (scheduledAtMs: number | undefined) => Promise<void> {
    const { a, adapter, apiKey, gauge } = this;
    const { config } = a;
    const { store, progress, budget, wake, completed } = slice;
    const id = requestIdOf(a.runId, planned.seq);
    const prompt = buildPrompt(
      planned.promptTokens,
      promptRandom(config.workload.seed, planned.seq, this.nonce),
    );
    return async (scheduledAtMs) => {
      progress.dispatched++;
      progress.in_flight++;
      budget.subrequests++;
      store.markDispatched(
        {
          pos: planned.pos,
          seq: planned.seq,
          id,
          scheduledAtMs: scheduledAtMs ?? null,
          dispatchedAtMs: Date.now(),
          promptTokens: planned.promptTokens,
          warmup: planned.warmup,
        },
        progress,
      );
      const { record, headerWaitSaturated } = await streamRequest({
        fetch: this.fetcher,
        nowMs: Date.now,
        adapter,
        target: config.target,
        ...(apiKey !== undefined ? { apiKey } : {}),
        secret: this.secret,
        id,
        prompt,
        promptTokens: planned.promptTokens,
        maxTokens: planned.outputTokens,
        ...(scheduledAtMs !== undefined ? { scheduledAtMs } : {}),
        timeoutMs: this.timeoutMs,
        signal: slice.signal,
        gauge,
        defer: slice.defer,
      });
      countFinished(progress, record, {
        warmup: planned.warmup,
        headerWaitSaturated,
        maxAwaitingHeaders: gauge.maxWaiting,
      });
      if (a.probe && countProbeRequest(progress, a.probe, record, planned.warmup)) wake.now = true;
      const stored: ShardRecord = {
        ...record,
        region: a.region,
        shard: a.index,
        seq: planned.seq,
        warmup: planned.warmup,
      };
      completed.add(planned.pos, stored);
    };
  }
}

/** The shard's `fetch`: the network, or the Workers AI binding a workers-ai target names. */
function shardFetch(env: Env, aiBinding: string | undefined): typeof fetch {
  if (aiBinding === undefined) return (input, init) => fetch(input, init);
  const ai = aiBindingOf(env, aiBinding);
  // Checked when the run was created; a binding removed since fails each request as network_error.
  if (!ai) return async () => Promise.reject(new TypeError(`no Workers AI binding named ${aiBinding}`));
  return aiBindingFetch(ai);
}

import type { CapacityModel } from './capacity-model.ts';
import type { SimKnobs } from './sim-config.ts';

// The timeline of one simulated request: wait for a sequence slot (FIFO), prefill, then one chunk
// per `tokens_per_chunk` decode steps; every duration is multiplied by `time_scale`. The first
// token comes out of prefill, so a request of N tokens spends N − 1 decode steps whatever the
// chunking. Chunk send times are absolute targets, so timer overshoot does not accumulate.

export type Fault = 'none' | 'in_stream' | 'disconnect';
export type GenerationEnd = 'done' | 'in_stream' | 'disconnect' | 'aborted';

export interface GenerationPlan {
  promptTokens: number;
  maxTokens: number;
  knobs: SimKnobs;
  fault: Fault;
  /** Index of the chunk the fault replaces (the tokens before it were sent). */
  faultAtChunk: number;
}

export interface GenerationDeps {
  capacity: CapacityModel;
  nowMs: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform [0, 1) draws for jitter and stalls. */
  random: () => number;
}

/** Called right when a chunk is due; `cumulative` counts tokens including this chunk's. */
export type ChunkSink = (index: number, tokens: number, cumulative: number, isLast: boolean) => void;

export function chunkCount(maxTokens: number, tokensPerChunk: number): number {
  return Math.ceil(maxTokens / tokensPerChunk);
}

/** Prefill time before jitter, time_scale applied. */
export function prefillMs(
  knobs: Pick<SimKnobs, 'prefill_base_ms' | 'prefill_us_per_token' | 'time_scale'>,
  promptTokens: number,
): number {
  return (knobs.prefill_base_ms + (knobs.prefill_us_per_token * promptTokens) / 1000) * knobs.time_scale;
}

/**
 * Runs the timeline, calling `sink` for each chunk. Takes the slot synchronously (before the first
 * await) so queue order is arrival order; always gives it back. Resolves (never rejects on abort).
 */
export async function runGeneration(
  deps: GenerationDeps,
  plan: GenerationPlan,
  signal: AbortSignal,
  sink: ChunkSink,
): Promise<GenerationEnd> {
  const { capacity, nowMs, random } = deps;
  const { knobs } = plan;
  const jittered = (ms: number) => ms * (1 + knobs.jitter * (2 * random() - 1));

  try {
    await capacity.acquire(signal);
  } catch (e) {
    if (signal.aborted) return 'aborted';
    throw e;
  }
  try {
    const sleepUntil = async (targetMs: number): Promise<boolean> => {
      const wait = targetMs - nowMs();
      if (wait > 0) {
        try {
          await deps.sleep(wait, signal);
        } catch (e) {
          if (!signal.aborted) throw e;
        }
      }
      return !signal.aborted;
    };

    let target = nowMs() + jittered(prefillMs(knobs, plan.promptTokens));
    const n = chunkCount(plan.maxTokens, knobs.tokens_per_chunk);
    let sent = 0;
    for (let i = 0; i < n; i++) {
      const tokens = Math.min(knobs.tokens_per_chunk, plan.maxTokens - sent);
      const decodeSteps = i === 0 ? tokens - 1 : tokens;
      // The step time is read now, so it reflects the batch size while this chunk decodes.
      if (decodeSteps > 0)
        target += decodeSteps * jittered(capacity.stepMs(knobs.decode_ms_per_token * knobs.time_scale));
      if (knobs.stall.probability > 0 && random() < knobs.stall.probability)
        target += knobs.stall.ms * knobs.time_scale;
      if (!(await sleepUntil(target))) return 'aborted';
      if (plan.fault !== 'none' && i === plan.faultAtChunk) return plan.fault;
      sent += tokens;
      sink(i, tokens, sent, i === n - 1);
    }
    return 'done';
  } finally {
    capacity.release();
  }
}

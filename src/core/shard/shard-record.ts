import { Analyzer } from '../metrics/analysis.ts';
import type { DeadlineOptions } from '../metrics/deadline-options.ts';
import type { RunSummaryState } from '../metrics/run-summary.ts';
import type { PredictorParams } from '../profile/prefill-profile.ts';
import type { RequestRecord } from '../record/request-record.ts';
import { countOutcome, type ShardProgress } from '../run/run-status.ts';
import { createRandom, type Random } from '../workload/seeded-random.ts';
import { STREAM_PROMPTS } from './shard-plan.ts';

// What a shard does with each request, apart from sending it: its prompt's random stream, how a
// finished one counts, what a lost one becomes, and the summary of all of them. Pure.

/** A record as a shard keeps it until D1 has it: the interchange record plus its place. */
export interface ShardRecord extends RequestRecord {
  shard: number;
  seq: number;
  warmup: boolean;
}

/** A request marked in flight in the shard's storage (what survives the isolate). */
export interface InFlightRow {
  pos: number;
  seq: number;
  id: string;
  scheduledAtMs: number | null;
  /** Epoch ms just before the send (the closest known send time if the isolate dies). */
  dispatchedAtMs: number | null;
  promptTokens: number;
  warmup: boolean;
}

/** A request's id: its run and its global position in the workload (docs/metrics.md#the-request-record). */
export function requestIdOf(runId: string, seq: number): string {
  return `${runId}-${seq}`;
}

/** A 32-bit FNV-1a hash of a run id: prompts differ between runs of the same seed. */
export function runNonce(runId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < runId.length; i++) h = Math.imul(h ^ runId.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The random stream a request's prompt is built from: any shard can rebuild any request's prompt. */
export function promptRandom(seed: number, seq: number, nonce: number): Random {
  return createRandom(seed, STREAM_PROMPTS, seq, nonce);
}

/** Counts a finished request (and what the send saw) into the shard's progress. */
export function countFinished(
  progress: ShardProgress,
  record: RequestRecord,
  sent: { warmup: boolean; headerWaitSaturated: boolean; maxAwaitingHeaders: number },
): void {
  progress.in_flight--;
  countOutcome(progress, record.outcome, record.chunks.length, sent.warmup);
  if (sent.headerWaitSaturated) progress.dispatched_while_saturated++;
  progress.max_awaiting_headers = Math.max(progress.max_awaiting_headers, sent.maxAwaitingHeaders);
  if (record.scheduled_at_ms !== undefined)
    progress.max_schedule_lag_ms = Math.max(
      progress.max_schedule_lag_ms,
      record.sent_at_ms - record.scheduled_at_ms,
    );
}

/**
 * A request in flight when the isolate died cannot be resumed: it is recorded as a lost stream
 * (`network_error`), never dropped or sent again.
 */
export function lostRecord(
  row: InFlightRow,
  place: { region: string; index: number },
  nowMs: number,
): ShardRecord {
  return {
    id: row.id,
    region: place.region,
    ...(row.scheduledAtMs !== null ? { scheduled_at_ms: row.scheduledAtMs } : {}),
    // The send mark died with the isolate; the dispatch mark was taken just before it.
    sent_at_ms: row.dispatchedAtMs ?? row.scheduledAtMs ?? nowMs,
    prompt_tokens: row.promptTokens,
    output_tokens: 0,
    chunks: [],
    token_count_source: 'events',
    outcome: 'network_error',
    error: 'the shard restarted while this request was in flight; its stream was lost',
    shard: place.index,
    seq: row.seq,
    warmup: row.warmup,
  };
}

export interface ShardSummary {
  /** Mergeable per-region summaries of the measured (non-warm-up) requests. */
  regions: Record<string, RunSummaryState>;
  /** Measured requests sent, and the first and last send times (epoch ms), for the achieved rate. */
  sends: { count: number; firstMs: number | null; lastMs: number | null };
}

/** The shard's measured requests as the coordinator merges them; warm-up requests are left out. */
export function summarizeRecords(
  records: Iterable<ShardRecord>,
  deadlines: DeadlineOptions,
  prefillPredictor?: PredictorParams,
): ShardSummary {
  const analyzer = new Analyzer({
    deadlines,
    ...(prefillPredictor !== undefined ? { prefillPredictor } : {}),
  });
  const sends: ShardSummary['sends'] = { count: 0, firstMs: null, lastMs: null };
  for (const record of records) {
    if (record.warmup) continue;
    const { shard: _s, seq: _q, warmup: _w, ...interchange } = record;
    analyzer.add(interchange);
    sends.count++;
    sends.firstMs = Math.min(sends.firstMs ?? record.sent_at_ms, record.sent_at_ms);
    sends.lastMs = Math.max(sends.lastMs ?? record.sent_at_ms, record.sent_at_ms);
  }
  return { regions: analyzer.regionStates(), sends };
}

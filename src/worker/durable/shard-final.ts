import { deadlineOptionsOf, prefillPredictorOf } from '../../core/run/run-config.ts';
import { countOutcome, emptyProgress, type ShardProgress } from '../../core/run/run-status.ts';
import { countProbeRequest } from '../../core/shard/probe-counts.ts';
import { lostRecord, type ShardSummary, summarizeRecords } from '../../core/shard/shard-record.ts';
import { settingsOf } from '../env.ts';
import { RecordFlusher } from './record-flusher.ts';
import type { ShardAssignment, ShardFinal } from './run-protocol.ts';
import { sliceBudget } from './shard-heartbeat.ts';
import type { ShardStorage } from './shard-storage.ts';

// What a shard reports to the coordinator when it ends, built from its storage: the summary of its
// records when it stopped by a rule, or, when it gave up, whatever it still can; and the sends lost
// with a dead isolate, recorded before either. Apart from the Shard object, which only decides when.

/**
 * Sends whose streams are gone (open when the isolate died, or when a slice failed) cannot be
 * resumed: each is recorded as a lost request, never sent again (docs/run-lifecycle.md#restarts).
 */
export function recoverInFlight(store: ShardStorage, a: ShardAssignment, progress: ShardProgress): void {
  const lost = store.interrupted().map((row) => {
    countOutcome(progress, 'network_error', 0, row.warmup);
    const record = lostRecord(row, a, Date.now());
    if (a.probe) countProbeRequest(progress, a.probe, record, row.warmup);
    return { pos: row.pos, record };
  });
  if (lost.length > 0) store.completeAll(lost, progress);
}

/** The final summary of a shard that stopped by a rule (completed, a limit, a cancel). */
export function shardFinal(
  store: ShardStorage,
  a: ShardAssignment,
  progress: ShardProgress,
  colo: string | null,
): ShardFinal {
  const instrumentCheck = store.get('instrument_check');
  return {
    progress,
    colo,
    ...(instrumentCheck ? { instrumentCheck } : {}),
    stopReason: store.get('stop') ?? 'completed',
    ...summarizeRecords(store.records(), deadlineOptionsOf(a.config), prefillPredictorOf(a.config)),
  };
}

/**
 * The final summary of a shard that gave up with `reason`: best effort, what it measured still
 * counts, and none of it (recovery, the last flush, the summary) may keep the failure unreported.
 */
export async function failedShardFinal(
  env: Env,
  store: ShardStorage,
  a: ShardAssignment,
  reason: string,
): Promise<ShardFinal> {
  const progress = { ...emptyProgress(null), ...store.get('progress') };
  progress.in_flight = 0;
  progress.records_flushed = store.flushedRecords();
  try {
    recoverInFlight(store, a, progress);
  } catch {}
  const budget = sliceBudget(settingsOf(env));
  await new RecordFlusher(store, env.DB, a, progress, budget).final().catch(() => {});
  let summary: ShardSummary = { regions: {}, sends: { count: 0, firstMs: null, lastMs: null } };
  try {
    summary = summarizeRecords(store.records(), deadlineOptionsOf(a.config), prefillPredictorOf(a.config));
  } catch {}
  const colo = store.get('colo') ?? null;
  return { progress, colo, stopReason: reason, failure: reason, ...summary };
}

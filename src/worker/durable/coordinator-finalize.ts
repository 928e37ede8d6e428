import { Analyzer } from '../../core/metrics/analysis.ts';
import type { RunSummaryState } from '../../core/metrics/run-summary.ts';
import { buildResults, startedAtMs } from '../../core/report/run-results.ts';
import { deadlineOptionsOf, prefillPredictorOf } from '../../core/run/run-config.ts';
import { addProgress, emptyProgress } from '../../core/run/run-status.ts';
import { recordRunHistory } from '../history/record-history.ts';
import { transitionRun, updateRun } from '../storage/runs-store.ts';
import { endOf, type RunRecord, type ShardEntry } from './coordinator-state.ts';
import { shardStub } from './run-protocol.ts';
import { loadPieces } from './storage-pieces.ts';

/**
 * The coordinator's finalisation, once every shard is over: the run marked `finalizing`, the
 * shards' summaries merged into the results, the run's D1 row and history written, the run marked
 * ended in the coordinator's storage, and the shards told to let their raw records go. Apart from
 * the Coordinator object, which only decides when. A retried alarm repeats it safely (idempotent).
 */
export async function finalizeRun(
  env: Env,
  storage: DurableObjectStorage,
  run: RunRecord,
  shards: ShardEntry[],
): Promise<void> {
  if (run.state !== 'finalizing') {
    run.state = 'finalizing';
    await storage.put('run', run);
    await transitionRun(env.DB, run.runId, ['queued', 'running'], { state: 'finalizing' });
  }
  const prefillPredictor = prefillPredictorOf(run.config);
  const analyzer = new Analyzer({
    deadlines: deadlineOptionsOf(run.config),
    ...(prefillPredictor !== undefined ? { prefillPredictor } : {}),
  });
  for (const s of shards) {
    if (!s.hasSummary) continue;
    const json = await loadPieces(storage, `summary:${s.index}:`);
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
  await updateRun(env.DB, run.runId, {
    state,
    reason,
    startedAtMs: startedAtMs({ ...run, finishedAtMs }),
    finishedAtMs,
    resultsJson: JSON.stringify(results),
  });
  // Before the run is marked ended here, so a retried finalize writes them again (idempotent).
  // A probe's figures belong to its search (stored as its capacity), not to the history.
  if (!run.probe) await recordRunHistory(env, results);
  Object.assign(run, { state, reason, finishedAtMs });
  await storage.put('run', run);
  // The shards keep their raw records until now; they can let them go.
  await Promise.all(
    shards.map((s) =>
      shardStub(env, run.runId, s.index)
        .release()
        .catch(() => undefined),
    ),
  );
}

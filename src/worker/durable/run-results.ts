import type { AnalysisReport } from '../../core/metrics/analysis.ts';
import { offeredQps } from '../../core/run/run-plan.ts';
import { addProgress, emptyProgress } from '../../core/run/run-status.ts';
import { publicShardStatus, type RunRecord, type ShardEntry, startedAtMs } from './coordinator-state.ts';

/**
 * The stored results of a run: the metrics report exactly as `fluidbench analyze --json` computes
 * it from the exported records (`summary`, `throughput`, `service_level`), plus what only the run
 * knows: offered versus achieved load, where each region ran, and each shard's health.
 */
export function buildResults(input: { run: RunRecord; shards: ShardEntry[]; report: AnalysisReport }) {
  const { run, shards, report } = input;
  const regions: Record<
    string,
    { colos: string[]; shards: number; progress: ReturnType<typeof emptyProgress> }
  > = {};
  let sent = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const s of shards) {
    const region = regions[s.region] ?? { colos: [], shards: 0, progress: emptyProgress(0) };
    region.shards++;
    if (s.colo && !region.colos.includes(s.colo)) region.colos.push(s.colo);
    addProgress(region.progress, s.progress);
    regions[s.region] = region;
    if (s.sends && s.sends.count > 0) {
      sent += s.sends.count;
      if (s.sends.firstMs !== null) first = Math.min(first, s.sends.firstMs);
      if (s.sends.lastMs !== null) last = Math.max(last, s.sends.lastMs);
    }
  }
  const spanS = last > first ? (last - first) / 1000 : null;
  return {
    id: run.runId,
    name: run.name,
    state: run.state,
    reason: run.reason,
    created_at_ms: run.createdAtMs,
    started_at_ms: startedAtMs(run),
    finished_at_ms: run.finishedAtMs,
    target: {
      api: run.config.target.api,
      base_url: run.config.target.base_url,
      model: run.config.target.model,
    },
    load: {
      arrivals: run.config.workload.arrivals.type,
      offered_qps: offeredQps(run.config.workload.arrivals),
      concurrency:
        run.config.workload.arrivals.type === 'concurrency' ? run.config.workload.arrivals.n : null,
      /** Measured requests sent over the span from the first to the last send. */
      achieved_qps: spanS !== null && sent > 1 ? (sent - 1) / spanS : null,
      requests_sent: sent,
    },
    summary: report.summary,
    throughput: report.throughput,
    service_level: report.service_level,
    regions,
    shards: shards.map(publicShardStatus),
  };
}
export type RunResults = ReturnType<typeof buildResults>;

import type { RunResults } from '../api/run-results-schema.ts';
import { costOfRun } from '../cost/run-cost.ts';
import type { AnalysisReport } from '../metrics/analysis.ts';
import type { RunConfig } from '../run/run-config.ts';
import { offeredQps } from '../run/run-plan.ts';
import type { RunState } from '../run/run-state.ts';
import { addProgress, emptyProgress, type ShardStatus, shardStatusSchema } from '../run/run-status.ts';
import { type InstrumentSample, summarizeInstrumentCheck } from '../shard/instrument-check.ts';

/** What results need to know about the run (the coordinator's record of it). */
interface ResultsRun {
  runId: string;
  name: string | null;
  config: RunConfig;
  state: RunState;
  reason: string | null;
  createdAtMs: number;
  startAtMs: number;
  finishedAtMs: number | null;
}

/** A shard's public status plus, once it finished, its measured sends (for the achieved rate). */
interface ResultsShard extends ShardStatus {
  sends?: { count: number; firstMs: number | null; lastMs: number | null } | undefined;
  instrumentCheck?: InstrumentSample | undefined;
}

/**
 * When the run started: the schedule's time 0, or null when the run ended before it (cancelled
 * before it started), so that a start never follows the finish.
 */
export function startedAtMs(run: { startAtMs: number; finishedAtMs: number | null }): number | null {
  return run.finishedAtMs !== null && run.finishedAtMs < run.startAtMs ? null : run.startAtMs;
}

/**
 * The stored results of a run (schema: core/api/run-results-schema.ts): the metrics report exactly
 * as `fluidbench analyze --json` computes it from the exported records (`summary`, `throughput`,
 * `service_level`), plus what only the run knows: offered versus achieved load, where each region
 * ran, and each shard's health.
 */
export function buildResults(input: {
  run: ResultsRun;
  shards: readonly ResultsShard[];
  report: AnalysisReport;
}): RunResults {
  const { run, shards, report } = input;
  const regions: RunResults['regions'] = {};
  let sent = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const checks = new Map<string, InstrumentSample[]>();
  for (const s of shards) {
    if (s.instrumentCheck) checks.set(s.region, [...(checks.get(s.region) ?? []), s.instrumentCheck]);
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
  for (const [region, samples] of checks) {
    const entry = regions[region];
    if (entry) entry.instrument_check = summarizeInstrumentCheck(samples);
  }
  const total = shards.reduce((sum, s) => addProgress(sum, s.progress), emptyProgress(0));
  const cost =
    total.usage === undefined
      ? undefined
      : costOfRun({
          requests: total.done,
          chunks: total.chunks,
          shards: shards.length,
          slices: total.slices,
          runS: ((run.finishedAtMs ?? run.startAtMs) - run.createdAtMs) / 1000,
          usage: total.usage,
        });
  const spanS = last > first ? (last - first) / 1000 : null;
  const { arrivals } = run.config.workload;
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
      arrivals: arrivals.type,
      offered_qps: offeredQps(arrivals),
      concurrency: arrivals.type === 'concurrency' ? arrivals.n : null,
      achieved_qps: spanS !== null && sent > 1 ? (sent - 1) / spanS : null,
      requests_sent: sent,
    },
    summary: report.summary,
    throughput: report.throughput,
    service_level: report.service_level,
    regions,
    shards: shards.map(publicStatus),
    ...(cost ? { cost } : {}),
  };
}

const SHARD_STATUS_KEYS = Object.keys(shardStatusSchema.shape) as (keyof ShardStatus)[];

/** Only the fields of a shard's public status (the coordinator keeps more about each shard). */
function publicStatus(shard: ResultsShard): ShardStatus {
  return Object.fromEntries(SHARD_STATUS_KEYS.map((key) => [key, shard[key]])) as ShardStatus;
}

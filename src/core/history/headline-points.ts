import type { RunResults } from '../api/run-results-schema.ts';
import type { SearchResult } from '../search/search-protocol.ts';
import { ALL_REGIONS, type HeadlineMetric, type HeadlinePoint } from './headline-metrics.ts';

type Summary = RunResults['summary']['regions'][string];

/**
 * The headline figures of one set of requests, read from its metric report (docs/metrics.md).
 * fluidity_p1 is derived: per request fluidity = 1 − miss rate and type-7 percentiles are linear
 * in the values, so its 1st percentile is exactly 1 − the 99th percentile of the miss rate.
 */
function figures(
  s: Summary,
): Record<Exclude<HeadlineMetric, 'capacity_qps' | 'capacity_streams'>, number | null> {
  const missP99 = s.miss_rate.p99;
  return {
    ttft_p50_s: s.ttft_s.p50,
    ttft_p99_s: s.ttft_s.p99,
    tbt_p99_s: s.tbt_s.p99,
    tpot_mean_s: s.tpot_s.mean,
    output_speed_tok_s: s.output_throughput.p50,
    fluidity_p1: missP99 === null ? null : 1 - missP99,
    fluidity_p50: s.fluidity_index.p50,
    // 0 deadlines means nothing was judged: not measured rather than perfect.
    service_miss_rate: s.service_level.total_deadlines > 0 ? s.service_level.miss_rate : null,
    fluid_token_rate_tok_s: s.throughput.fluid_token_generation_rate,
    error_rate: s.error_rate,
  };
}

function pointsOf(region: string, s: Summary): HeadlinePoint[] {
  return Object.entries(figures(s)).map(([metric, value]) => ({
    region,
    metric: metric as HeadlineMetric,
    value: value !== null && Number.isFinite(value) ? value : null,
  }));
}

/** A finished run's headline points: every region of its report, then the whole run as `all`. */
export function headlinePoints(results: Pick<RunResults, 'summary'>): HeadlinePoint[] {
  const out: HeadlinePoint[] = [];
  for (const region of Object.keys(results.summary.regions).sort()) {
    if (region === ALL_REGIONS) continue; // cannot collide with the whole-run point
    const summary = results.summary.regions[region];
    if (summary) out.push(...pointsOf(region, summary));
  }
  out.push(...pointsOf(ALL_REGIONS, results.summary));
  return out;
}

/**
 * A finished search's capacity: overall the estimate with its interval (or, without one, the
 * highest passing load), per region that region's highest passing load. Nothing when the search
 * only found a lower bound (nothing failed up to its highest load).
 */
export function capacityPoints(result: SearchResult, dimension: 'qps' | 'concurrency'): HeadlinePoint[] {
  if (result.lower_bound_only) return [];
  const metric: HeadlineMetric = dimension === 'qps' ? 'capacity_qps' : 'capacity_streams';
  const out: HeadlinePoint[] = [];
  for (const region of Object.keys(result.regions).sort()) {
    const lo = result.regions[region]?.bracket.lo ?? null;
    if (region !== ALL_REGIONS && lo !== null) out.push({ region, metric, value: lo });
  }
  if (result.root) {
    out.push({
      region: ALL_REGIONS,
      metric,
      value: result.root.load,
      lo: result.root.lo,
      hi: result.root.hi,
    });
  } else if (result.bracket.lo !== null) {
    out.push({ region: ALL_REGIONS, metric, value: result.bracket.lo });
  }
  return out;
}

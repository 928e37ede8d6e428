import type { RunResults } from '../api/run-results-schema.ts';
import { ALL_REGIONS, HEADLINE_METRICS, type HeadlineMetric } from '../history/headline-metrics.ts';
import { headlinePoints } from '../history/headline-points.ts';
import type { MetricInterval } from './compare-samples.ts';
import { intervalsDisjoint } from './compare-statistics.ts';

// `fluidbench compare`: runs side by side (docs/compare.md). The figures are the history's headline
// metrics of each run (same region), the deltas are against the first run, and a difference counts
// only when the two runs' 95% intervals do not overlap.

/** The number of runs one comparison takes. */
export const COMPARE_RUNS = { min: 2, max: 10 } as const;

/** The metrics compared, in print order: the history's, without a search's capacity. */
export const COMPARED_METRICS = (Object.keys(HEADLINE_METRICS) as HeadlineMetric[]).filter(
  (m) => m !== 'capacity_qps' && m !== 'capacity_streams',
);

/** better/worse: the intervals do not overlap; within_uncertainty: they do; unknown: no interval. */
export type CompareVerdict = 'baseline' | 'better' | 'worse' | 'within_uncertainty' | 'unknown';

export interface ComparedFigure {
  value: number | null;
  /** The 95% interval (±Infinity sides as null in JSON), null when the run's records were not read. */
  interval: MetricInterval | null;
  /** value − the first run's value. */
  delta: number | null;
  /** delta / |the first run's value|. */
  delta_ratio: number | null;
  verdict: CompareVerdict;
}

export interface ComparedRun {
  id: string;
  /** The region of the run compared (`all`: the whole run). */
  region: string;
  target: RunResults['target'];
  state: RunResults['state'];
  regions: string[];
  requests: number;
  /** Records the intervals were computed from (null: not read). */
  records: number | null;
}

export interface Comparison {
  runs: ComparedRun[];
  /** Per metric, one figure per run in the order given. */
  metrics: { metric: HeadlineMetric; worse_when: 'higher' | 'lower'; figures: ComparedFigure[] }[];
}

export interface CompareInput {
  results: RunResults;
  /** Which of its regions (`all`: the whole run). */
  region: string;
  /** The run's intervals for this region, or null when its records could not be read (pruned). */
  intervals: Partial<Record<HeadlineMetric, MetricInterval>> | null;
  records: number | null;
}

/** Compares each run's figures (for its region; `all`: the whole run) against the first run's. */
export function compareRuns(inputs: readonly CompareInput[]): Comparison {
  const values = inputs.map((input) => {
    const map = new Map<string, number | null>();
    for (const p of headlinePoints(input.results)) if (p.region === input.region) map.set(p.metric, p.value);
    return map;
  });
  const metrics = COMPARED_METRICS.map((metric) => {
    const worseWhen = HEADLINE_METRICS[metric];
    const base = values[0]!.get(metric) ?? null;
    const baseInterval = inputs[0]!.intervals?.[metric] ?? null;
    const figures = inputs.map((input, i): ComparedFigure => {
      const value = values[i]!.get(metric) ?? null;
      const interval = input.intervals?.[metric] ?? null;
      if (i === 0) return { value, interval, delta: null, delta_ratio: null, verdict: 'baseline' };
      const delta = value !== null && base !== null ? value - base : null;
      const deltaRatio = delta !== null && base !== null && base !== 0 ? delta / Math.abs(base) : null;
      let verdict: CompareVerdict = 'unknown';
      if (delta !== null && interval && baseInterval) {
        if (!intervalsDisjoint(interval, baseInterval)) verdict = 'within_uncertainty';
        else verdict = delta > 0 === (worseWhen === 'higher') ? 'worse' : 'better';
      }
      return { value, interval, delta, delta_ratio: deltaRatio, verdict };
    });
    return { metric, worse_when: worseWhen, figures };
  });
  return {
    runs: inputs.map(({ results, records, region }) => ({
      id: results.id,
      region,
      target: results.target,
      state: results.state,
      regions: Object.keys(results.summary.regions).sort(),
      requests:
        region === ALL_REGIONS ? results.summary.requests : (results.summary.regions[region]?.requests ?? 0),
      records,
    })),
    metrics,
  };
}

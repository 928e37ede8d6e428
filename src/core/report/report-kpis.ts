import type { Kpi } from './report-data.ts';
import type { ResultsLike } from './run-report-data.ts';

type KpiDef = Omit<Kpi, 'value'> & { source: string };

/** The KPI strip: each number read from the results JSON at `source` (docs/reports.md). */
const KPI_DEFS: readonly KpiDef[] = [
  {
    key: 'offered_qps',
    label: 'offered load',
    unit: 'qps',
    source: 'load.offered_qps',
    help: 'requests per second the arrival process asked for (null for closed-loop concurrency)',
  },
  {
    key: 'achieved_qps',
    label: 'achieved req/s',
    unit: 'qps',
    source: 'load.achieved_qps',
    help: 'requests sent over the span from the first to the last send',
  },
  {
    key: 'requests',
    label: 'requests',
    unit: 'count',
    source: 'summary.requests',
    help: 'measured requests',
  },
  {
    key: 'error_rate',
    label: 'errors',
    unit: 'ratio',
    source: 'summary.error_rate',
    help: 'failed requests / requests',
  },
  {
    key: 'ttft_p50',
    label: 'TTFT p50',
    unit: 's',
    source: 'summary.ttft_s.p50',
    help: 'time to first token, median',
  },
  {
    key: 'ttft_p99',
    label: 'TTFT p99',
    unit: 's',
    source: 'summary.ttft_s.p99',
    help: 'time to first token, 99th percentile',
  },
  {
    key: 'tbt_p99',
    label: 'TBT p99',
    unit: 's',
    source: 'summary.tbt_s.p99',
    help: 'time between tokens, 99th percentile',
  },
  {
    key: 'fluidity_p1',
    label: 'fluidity p1',
    unit: 'ratio',
    source: 'summary.fluidity_index.p1',
    help: 'per-request share of token deadlines met, 1st percentile (the least fluid 1 %)',
  },
  {
    key: 'fluidity_p50',
    label: 'fluidity p50',
    unit: 'ratio',
    source: 'summary.fluidity_index.p50',
    help: 'per-request share of token deadlines met, median',
  },
  {
    key: 'miss_rate',
    label: 'deadline miss rate',
    unit: 'ratio',
    source: 'service_level.miss_rate',
    help: 'missed token deadlines / all token deadlines (service level)',
  },
  {
    key: 'fluid_rate',
    label: 'fluid token rate',
    unit: 'tok/s',
    source: 'throughput.fluid_token_generation_rate',
    help: 'fluid token generation rate: 1 / p99 of the per-request minimum decode deadline',
  },
];

/** Reads a dotted path (`summary.ttft_s.p50`) of a JSON value; undefined when absent. */
export function valueAtPath(value: unknown, path: string): unknown {
  let at: unknown = value;
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** The KPI strip of a run; the output rate comes from the records (results do not hold it). */
export function runKpis(results: ResultsLike, outputTokensPerS: number | null): Kpi[] {
  const kpis: Kpi[] = [];
  for (const def of KPI_DEFS) {
    const value = valueAtPath(results, def.source);
    if (value === undefined) continue; // a records file has no load section
    kpis.push({ ...def, value: typeof value === 'number' ? value : null });
  }
  kpis.splice(3, 0, {
    key: 'output_tps',
    label: 'output tok/s',
    unit: 'tok/s',
    source: null,
    value: outputTokensPerS,
    help: 'output tokens from the first send to the last token (computed from the records)',
  });
  return kpis;
}

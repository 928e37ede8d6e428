import { percentileSorted } from '../../core/metrics/percentile.ts';
import { csvCell, jsonDict, jsonFloat, jsonInt, jsonList, pyFixed5, pyFloatRepr } from './python-format.ts';

// The contents of etalon's per-run output directory (the file list is in the README, `fluidbench
// analyze`, "etalon's files"), rendered from fluidbench's exact metrics. Names, keys, key order and number styles follow etalon; the
// quantiles are exact type-7 values where etalon's come from a DDSketch.

/** One successful request, durations in seconds. */
export interface EtalonRequestRow {
  prompt_tokens: number;
  output_tokens: number;
  ttft_s: number;
  tbt_s: number[];
  tpot_s: number | null;
  e2e_s: number;
  normalized_e2e_s: number;
  output_throughput: number;
  miss_rate: number;
  min_tbt_deadline_s: number | null;
}

export interface EtalonExportData {
  /** Successful requests only, in order. */
  requests: EtalonRequestRow[];
  launchedRequests: number;
  erroredRequests: number;
  serviceLevel: { missed: number; total: number; missRate: number };
  throughput: { tpotBased: number | null; tbtBased: number | null; fluid: number | null };
  /** 100 values: the P99 miss rate for target TBT 1..100 ms. */
  missRateCurve: number[];
  deadlines: {
    ttftDeadline_s: number;
    tbtDeadline_s: number;
    targetMissRate: number;
    ttftSlack_s: number;
    usePredictions: boolean;
  };
}

/** A file of the export; `render` runs while writing, so a bad value fails mid-export (tested). */
export interface EtalonFile {
  name: string;
  render: () => string;
}

const CDF_STEMS = [
  'num_prompt_tokens',
  'num_output_tokens',
  'num_total_tokens',
  'tpot',
  'ttft',
  'tbt',
  'end_to_end_latency',
  'normalized_end_to_end_latency',
  'output_throughput',
  'deadline_miss_rate',
  'min_tbt_deadline_to_meet',
] as const;
export type CdfStem = (typeof CDF_STEMS)[number];

const MISS_RATE_CURVE_LENGTH = 100;
/** etalon's "never meets the target" value for `min_tbt_deadline_to_meet`, in seconds. */
const UNREACHABLE_DEADLINE_S = 1e10;

const FIXED_FILE_NAMES = [
  'request_level_metrics.json',
  'service_level_metrics.json',
  'perf_metrics.csv',
  'error_stats.json',
  'p99_deadline_miss_rate_for_target_tbt_values.json',
  'throughput_metrics.json',
] as const;

/** Every name an export writes; a directory holding only these is a previous export. */
export const ETALON_FILE_NAMES: ReadonlySet<string> = new Set([
  ...FIXED_FILE_NAMES,
  ...CDF_STEMS.map((stem) => `${stem}.csv`),
]);

/** The sketch names etalon uses as CSV column headers and summary keys (newer etalon wording). */
function readableNames(deadlines: EtalonExportData['deadlines']): Record<CdfStem, string> {
  const d = deadlines;
  const predictions = d.usePredictions ? 'True' : 'False';
  return {
    num_prompt_tokens: 'Number of Prompt Tokens',
    num_output_tokens: 'Number of Output Tokens',
    num_total_tokens: 'Number of Total Tokens',
    tpot: 'Time per Output Token',
    ttft: 'Time to First Token',
    tbt: 'Time Between Tokens',
    end_to_end_latency: 'End to End Latency',
    normalized_end_to_end_latency: 'Normalized End to End Latency',
    output_throughput: 'Output Throughput',
    // The trailing space is etalon's.
    deadline_miss_rate:
      `Deadline Miss Rate with ${pyFloatRepr(d.tbtDeadline_s)}s TBT Deadline, ` +
      `${pyFloatRepr(d.ttftDeadline_s)}s TTFT Deadline, ${pyFloatRepr(d.ttftSlack_s)}s TTFT Slack, ` +
      `Using Predictions for TTFT: ${predictions} `,
    min_tbt_deadline_to_meet: `Min Deadline to Meet Target Deadline Miss Rate of ${pyFloatRepr(d.targetMissRate * 100)}%`,
  };
}

/**
 * The samples behind each CDF. `tpot` leaves out requests with fewer than 2 tokens (null):
 * etalon counts them as 0, fluidbench excludes them from aggregates (docs/metrics.md#per-request-metrics).
 */
function metricSamples(requests: readonly EtalonRequestRow[]): Record<CdfStem, number[]> {
  const samples = Object.fromEntries(CDF_STEMS.map((stem) => [stem, [] as number[]])) as Record<
    CdfStem,
    number[]
  >;
  for (const r of requests) {
    samples.num_prompt_tokens.push(r.prompt_tokens);
    samples.num_output_tokens.push(r.output_tokens);
    samples.num_total_tokens.push(r.prompt_tokens + r.output_tokens);
    if (r.tpot_s !== null) samples.tpot.push(r.tpot_s);
    samples.ttft.push(r.ttft_s);
    for (const tbtS of r.tbt_s) samples.tbt.push(tbtS);
    samples.end_to_end_latency.push(r.e2e_s);
    samples.normalized_end_to_end_latency.push(r.normalized_e2e_s);
    samples.output_throughput.push(r.output_throughput);
    samples.deadline_miss_rate.push(r.miss_rate);
    if (r.min_tbt_deadline_s !== null) samples.min_tbt_deadline_to_meet.push(r.min_tbt_deadline_s);
  }
  return samples;
}

/**
 * `[cdf, value]` rows at `steps` evenly spaced quantiles 0..1 (etalon: 101), values exact type-7.
 * The cdf is `i / (steps - 1)`, a correctly rounded quotient, so it prints as `0.35`, not
 * numpy linspace's `0.35000000000000003`. No rows for no values.
 */
export function cdfRows(values: ArrayLike<number>, steps = 101): [cdf: number, value: number][] {
  if (!Number.isInteger(steps) || steps < 2)
    throw new RangeError(`steps must be an integer ≥ 2, got ${steps}`);
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return [];
  const rows: [number, number][] = [];
  for (let i = 0; i < steps; i++) {
    const cdf = i / (steps - 1);
    rows.push([cdf, percentileSorted(sorted, cdf) as number]);
  }
  return rows;
}

/** pandas `to_csv` of etalon's `{cdf, <name>}` frame: index column first, `\n` after every row. */
function renderCdfCsv(stem: CdfStem, name: string, values: readonly number[]): string {
  const lines = [`,cdf,${csvCell(name)}`];
  for (const [i, [cdf, value]] of cdfRows(values).entries()) {
    if (!Number.isFinite(value)) throw new Error(`cannot write a non-finite ${stem} value to ${stem}.csv`);
    lines.push(`${i},${pyFloatRepr(cdf)},${pyFloatRepr(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Mean, P50, P90, P99 as etalon's `CDFSketch.get_summary`; null for no samples (etalon writes 0). */
function summaryStats(
  values: readonly number[],
): [mean: number, p50: number, p90: number, p99: number] | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of values) sum += v;
  const q = (p: number) => percentileSorted(sorted, p) as number;
  return [sum / values.length, q(0.5), q(0.9), q(0.99)];
}

const SUMMARY_SUFFIXES = ['(Mean)', '(P50)', '(P90)', '(P99)'] as const;

/** A ratio as etalon writes it: the int `0` when the denominator is 0. */
function ratioJson(rate: number, denominator: number, label: string): string {
  return denominator > 0 ? jsonFloat(rate, label) : '0';
}

function renderRequestLevel(requests: readonly EtalonRequestRow[]): string {
  const column = (key: string, cell: (r: EtalonRequestRow, label: string) => string): [string, string] => [
    key,
    jsonList(requests.map((r, i) => cell(r, `requests[${i}].${key}`))),
  ];
  return jsonDict([
    column('num_prompt_tokens', (r, l) => jsonInt(r.prompt_tokens, l)),
    column('num_output_tokens', (r, l) => jsonInt(r.output_tokens, l)),
    column('num_total_tokens', (r, l) => jsonInt(r.prompt_tokens + r.output_tokens, l)),
    // etalon's tpot is the int 0 below 2 tokens.
    column('tpot', (r, l) => (r.tpot_s === null ? '0' : jsonFloat(r.tpot_s, l))),
    column('ttft', (r, l) => jsonFloat(r.ttft_s, l)),
    column('tbt', (r, l) => jsonList(r.tbt_s.map((v, j) => jsonFloat(v, `${l}[${j}]`)))),
    column('end_to_end_latency', (r, l) => jsonFloat(r.e2e_s, l)),
    column('normalized_end_to_end_latency', (r, l) => jsonFloat(r.normalized_e2e_s, l)),
    column('output_throughput', (r, l) => jsonFloat(r.output_throughput, l)),
    column('deadline_miss_rate', (r, l) => jsonFloat(r.miss_rate, l)),
    column('min_tbt_deadline_to_meet', (r, l) =>
      jsonFloat(r.min_tbt_deadline_s ?? UNREACHABLE_DEADLINE_S, l),
    ),
  ]);
}

function renderErrorStats(
  data: EtalonExportData,
  names: Record<CdfStem, string>,
  samples: Record<CdfStem, number[]>,
): string {
  const { launchedRequests: launched, erroredRequests: errored, serviceLevel } = data;
  const entries: [string, string][] = [
    ['Number of Requests', jsonInt(launched, 'launchedRequests')],
    ['Number of Errored Requests', jsonInt(errored, 'erroredRequests')],
    ['Number of Completed Requests', jsonInt(data.requests.length, 'requests.length')],
    ['Error Rate', ratioJson(errored / launched, launched, 'error rate')],
    ['Deadline Miss Rate', ratioJson(serviceLevel.missRate, serviceLevel.total, 'serviceLevel.missRate')],
  ];
  for (const stem of CDF_STEMS) {
    const stats = summaryStats(samples[stem]);
    SUMMARY_SUFFIXES.forEach((suffix, k) => {
      const value = stats?.[k];
      entries.push([
        `${names[stem]} ${suffix}`,
        value === undefined ? '0' : jsonFloat(value, `${stem} ${suffix}`),
      ]);
    });
  }
  return jsonDict(entries);
}

/** Header from the prompt-token sketch only, 11 unlabelled rows, no trailing newline (etalon's quirks). */
function renderPerfCsv(names: Record<CdfStem, string>, samples: Record<CdfStem, number[]>): string {
  const header = SUMMARY_SUFFIXES.map((suffix) => `${names.num_prompt_tokens} ${suffix}`).join(',');
  const rows = CDF_STEMS.map((stem) => (summaryStats(samples[stem]) ?? [0, 0, 0, 0]).map(pyFixed5).join(','));
  return [header, ...rows].join('\n');
}

function renderMissRateCurve(curve: readonly number[]): string {
  return jsonDict([
    ['Target TBT (ms)', jsonList(curve.map((_, i) => String(i + 1)))],
    ['Miss Rate P(99)', jsonList(curve.map((v, i) => jsonFloat(v, `missRateCurve[${i}]`)))],
  ]);
}

function renderThroughput(throughput: EtalonExportData['throughput']): string {
  const value = (v: number | null, label: string) => (v === null ? 'null' : jsonFloat(v, label));
  return jsonDict([
    ['tpot_based_throughput', value(throughput.tpotBased, 'throughput.tpotBased')],
    ['tbt_based_throughput', value(throughput.tbtBased, 'throughput.tbtBased')],
    ['deadline_based_throughput', value(throughput.fluid, 'throughput.fluid')],
  ]);
}

/**
 * The export's files in etalon's write order. Structural problems throw here, before anything is
 * written; value problems (a non-finite number) throw from `render`.
 */
export function etalonFiles(data: EtalonExportData): EtalonFile[] {
  if (data.missRateCurve.length !== MISS_RATE_CURVE_LENGTH) {
    throw new Error(
      `missRateCurve must hold ${MISS_RATE_CURVE_LENGTH} values (target TBT 1..100 ms), got ${data.missRateCurve.length}`,
    );
  }
  const names = readableNames(data.deadlines);
  const samples = metricSamples(data.requests);
  const { missed, total } = data.serviceLevel;
  return [
    { name: 'request_level_metrics.json', render: () => renderRequestLevel(data.requests) },
    ...CDF_STEMS.map((stem) => ({
      name: `${stem}.csv`,
      render: () => renderCdfCsv(stem, names[stem], samples[stem]),
    })),
    {
      name: 'service_level_metrics.json',
      render: () =>
        jsonDict([
          ['service_level_missed_deadlines', jsonInt(missed, 'serviceLevel.missed')],
          ['service_level_total_deadlines', jsonInt(total, 'serviceLevel.total')],
          [
            'service_level_deadline_miss_rate',
            ratioJson(data.serviceLevel.missRate, total, 'serviceLevel.missRate'),
          ],
        ]),
    },
    { name: 'perf_metrics.csv', render: () => renderPerfCsv(names, samples) },
    { name: 'error_stats.json', render: () => renderErrorStats(data, names, samples) },
    {
      name: 'p99_deadline_miss_rate_for_target_tbt_values.json',
      render: () => renderMissRateCurve(data.missRateCurve),
    },
    { name: 'throughput_metrics.json', render: () => renderThroughput(data.throughput) },
  ];
}

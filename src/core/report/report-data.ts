import type { Outcome } from '../record/request-record.ts';
import type { SearchFitCurve } from './search-fit-curve.ts';

// What a report page draws (docs/reports.md): plain JSON built by the pure builders beside this file
// (run-report-data.ts, campaign-report-data.ts) and drawn by the browser renderer (src/report-ui).
// Every list is bounded; where the data had more, the page says what was sampled or aggregated.

/** Requests drawn one by one on the timeline at most; more are sampled evenly by send time. */
export const TIMELINE_MAX_REQUESTS = 1000;
/** Token-carrying reads drawn per request at most; later reads of longer streams are merged. */
export const TIMELINE_MAX_SEGMENTS = 256;
/** Points per CDF curve (quantiles 0, 1/(n-1), …, 1). */
export const CDF_POINTS = 201;
/** Time bins of the over-the-run series at most. */
export const SERIES_MAX_BINS = 300;
/** Successful requests the P99 miss-rate curve is computed from at most, when the results lack it. */
export const CURVE_MAX_REQUESTS = 20_000;
/** Runs in one comparison at most. */
export const COMPARE_MAX_RUNS = 20;

/** One number of the KPI strip; `source` is its path in the results JSON (null: from the records). */
export interface Kpi {
  key: string;
  label: string;
  value: number | null;
  unit: 's' | 'ratio' | 'qps' | 'tok/s' | 'count';
  source: string | null;
  help: string;
}

/** One request on the timeline; times in ms, `s` from the run's first send, the rest from its own send. */
export interface TimelineRequest {
  /** Send time. */
  s: number;
  /** Region index into `regions`. */
  r: number;
  o: Outcome;
  /** How late the send was against its schedule (ms), when known. */
  l: number | null;
  /** Headers received. */
  h: number | null;
  /** Arrival of each token-carrying read (merged beyond TIMELINE_MAX_SEGMENTS). */
  c: number[];
  /** Indices into `c` whose tokens missed a deadline. */
  m: number[];
  /** Output tokens. */
  n: number;
}

/** A CDF per region: `x[i]` is the quantile `i / (x.length - 1)` of the values. */
export interface CdfSet {
  metric: 'ttft_s' | 'tbt_s' | 'tpot_s' | 'e2e_s' | 'miss_rate';
  label: string;
  unit: 's' | 'ratio';
  regions: Record<string, { count: number; x: number[] }>;
}

/** Time series over the run in equal bins; `t` is each bin's start in s from the first send. */
export interface RunSeries {
  bin_s: number;
  t: number[];
  tokens_per_s: number[];
  in_flight: number[];
  /** Largest schedule lag (ms) of the sends in each bin, null when none. */
  schedule_lag_max_ms: (number | null)[];
  /** Failed requests per bin by outcome (by when they ended). */
  errors: Partial<Record<Outcome, number[]>>;
}

export interface RunReportData {
  kind: 'run';
  title: string;
  generated_at_ms: number;
  /** Where the numbers come from: a run's results (`/results`) or an exported records file. */
  source: { type: 'run'; id: string } | { type: 'file'; name: string };
  run: {
    id: string;
    name: string | null;
    state: string;
    target: { api: string; base_url: string; model: string } | null;
    started_at_ms: number | null;
    finished_at_ms: number | null;
  } | null;
  kpis: Kpi[];
  deadlines: { ttft_deadline_s: number | null; ttft_source: string; tbt_deadline_s: number };
  regions: string[];
  requests: number;
  timeline: { requests: TimelineRequest[]; total: number; every: number; merged_segments: number };
  cdfs: CdfSet[];
  /** The P99 miss-rate curve over TBT deadlines 1..100 ms, when the results have it. */
  miss_rate_curve: { tbt_deadline_ms: number[]; p99_miss_rate: (number | null)[] } | null;
  series: RunSeries;
  /** Per region: the figures of its row in the results (same numbers as `summary.regions`). */
  region_table: {
    region: string;
    requests: number;
    error_rate: number | null;
    ttft_p50_s: number | null;
    ttft_p99_s: number | null;
    tbt_p99_s: number | null;
    miss_rate: number;
  }[];
  /** What was sampled or aggregated, in words, shown on the page. */
  notes: string[];
}

export interface SearchReportData {
  kind: 'search';
  title: string;
  generated_at_ms: number;
  search: { id: string; name: string | null; state: string; stop_reason: string | null };
  probes: {
    index: number;
    load: number;
    bad_fraction: number;
    lo: number;
    hi: number;
    verdict: 'pass' | 'fail';
    requests: number;
    binding_part: string;
  }[];
  threshold: number | null;
  bracket: { lo: number | null; hi: number | null };
  root: { load: number; lo: number; hi: number } | null;
  /** The model strategy's fit, recomputed from the probes; null without one (see notes). */
  fit: SearchFitCurve | null;
  region_brackets: Record<string, { lo: number | null; hi: number | null }>;
  notes: string[];
}

export interface ProfileReportData {
  kind: 'profile';
  title: string;
  generated_at_ms: number;
  profile: { id: string; name: string | null; state: string };
  samples: { prompt_tokens: number; ttft_s: number }[];
  minima: { prompt_tokens: number; ttft_s: number; predicted_s: number; residual_s: number }[];
  /** The predictor on a grid; `extrapolated` beyond the longest profiled prompt. */
  curve: { prompt_tokens: number[]; prefill_s: number[]; extrapolated_from: number | null };
  fit: { points: number; max_abs_error_s: number; rmse_s: number; max_rel_error: number } | null;
  notes: string[];
}

export interface HistoryReportData {
  kind: 'history';
  title: string;
  generated_at_ms: number;
  series: {
    label: string;
    metric: string;
    worse_when: 'higher' | 'lower';
    t_ms: number[];
    value: number[];
    band_lo: (number | null)[];
    band_hi: (number | null)[];
    flags: { at_ms: number; value: number; reason: string }[];
  }[];
  notes: string[];
}

export interface CompareReportData {
  kind: 'compare';
  title: string;
  generated_at_ms: number;
  /** The compared runs, in the order given (a run may be given twice). */
  runs: { run_id: string; label: string }[];
  /** One row per run × region (`all` for the whole run). */
  rows: {
    run_id: string;
    /** Index into `runs`. */
    run: number;
    label: string;
    region: string;
    requests: number;
    ttft_p50_s: number | null;
    output_tps_p50: number | null;
    tbt_p99_s: number | null;
    miss_rate: number;
    error_rate: number | null;
    /** In the attractive quadrant of the scatter: TTFT at most, output speed at least the medians. */
    attractive: boolean;
  }[];
  /**
   * The TTFT-vs-output-speed scatter: the rows drawn (indices into `rows`: each run × region, or
   * the whole runs when none has regions) and the medians of their two figures that split it into
   * quadrants (null with fewer than 2 points).
   */
  scatter: { rows: number[]; ttft_split_s: number | null; output_tps_split: number | null };
  /** The region × run table: `cells[i][j]` is the row (index into `rows`) of region i, run j. */
  matrix: { regions: string[]; cells: (number | null)[][] };
  notes: string[];
}

export type ReportData =
  | RunReportData
  | SearchReportData
  | ProfileReportData
  | HistoryReportData
  | CompareReportData;

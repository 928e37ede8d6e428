// The headline metrics kept as history (docs/history.md): their names (SI unit in the name) and
// which way is worse, so the regression rule knows which side of its band to watch.

/** Which change of a metric is a regression. */
export type WorseWhen = 'higher' | 'lower';

export const HEADLINE_METRICS = {
  ttft_p50_s: 'higher',
  ttft_p99_s: 'higher',
  tbt_p99_s: 'higher',
  tpot_mean_s: 'higher',
  output_speed_tok_s: 'lower',
  fluidity_p1: 'lower',
  fluidity_p50: 'lower',
  service_miss_rate: 'higher',
  fluid_token_rate_tok_s: 'lower',
  error_rate: 'higher',
  /** A capacity search's result: the highest load meeting the SLO, in requests per second. */
  capacity_qps: 'lower',
  /** A capacity search's result: the most concurrent streams meeting the SLO. */
  capacity_streams: 'lower',
} as const satisfies Record<string, WorseWhen>;

export type HeadlineMetric = keyof typeof HEADLINE_METRICS;
export const HEADLINE_METRIC_NAMES = Object.keys(HEADLINE_METRICS) as [HeadlineMetric, ...HeadlineMetric[]];

/** The region name of a point that covers the whole run (every region together). */
export const ALL_REGIONS = 'all';

/** One headline figure of a run or search, for one region or `all`. */
export interface HeadlinePoint {
  region: string;
  metric: HeadlineMetric;
  /** null when the run did not measure it (no successful request, no deadline, …). */
  value: number | null;
  /** The figure's own interval, when the measurement gives one (a capacity estimate's). */
  lo?: number;
  hi?: number;
}

/** What a history point comes from. */
export const HISTORY_KINDS = ['run', 'profile', 'search'] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

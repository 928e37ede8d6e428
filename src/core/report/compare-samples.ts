import type { RunResults } from '../api/run-results-schema.ts';
import type { HeadlineMetric } from '../history/headline-metrics.ts';
import { resolveDeadlines } from '../metrics/deadline-options.ts';
import { computeRequestMetrics } from '../metrics/request-metrics.ts';
import { usToS } from '../metrics/units.ts';
import { predictPrefillUs } from '../profile/prefill-predictor.ts';
import type { RequestRecord } from '../record/request-record.ts';
import { wilsonInterval } from '../search/wilson-interval.ts';
import {
  clampInterval,
  clusteredQuantileInterval,
  clusteredRatioInterval,
  type Interval,
  meanIntervalClt,
  quantileIntervalSorted,
  reciprocalInterval,
} from './compare-statistics.ts';

/** The compare intervals are computed from at most this many records per run (the first ones). */
export const COMPARE_MAX_RECORDS = 1_000_000;

/** How an interval was computed (docs/compare.md). */
export type IntervalMethod =
  | 'order_statistic'
  | 'clustered_quantile'
  | 'clt_mean'
  | 'clustered_ratio'
  | 'wilson';

export interface MetricInterval extends Interval {
  method: IntervalMethod;
}

type Deadlines = RunResults['summary']['deadlines'];

/**
 * The per-request values of one run (one region or all) that the headline figures are statistics of,
 * gathered from its exported records with the run's own deadlines. Durations in seconds.
 */
export class CompareSamples {
  records = 0;
  failed = 0;
  private readonly ttftS: number[] = [];
  private readonly tbtS: number[] = [];
  /** Each request's TBT values (a view into tbtS's values, per request). */
  private readonly tbtPerRequestS: Float64Array[] = [];
  private readonly tpotS: number[] = [];
  private readonly outputSpeedTokS: number[] = [];
  private readonly fluidity: number[] = [];
  private readonly decodeOnlyMinDeadlineS: number[] = [];
  private readonly missed: number[] = [];
  private readonly deadlinesTotal: number[] = [];
  private readonly deadlines: ReturnType<typeof resolveDeadlines>;
  private readonly region: string | undefined;

  /** `region`: only records of that region (undefined: every record). */
  constructor(deadlines: Deadlines, region?: string) {
    this.region = region;
    const predictor = deadlines.prefill_predictor;
    this.deadlines = resolveDeadlines(
      {
        ttft_deadline_s: deadlines.ttft_deadline_s ?? 0,
        tbt_deadline_s: deadlines.tbt_deadline_s,
        target_miss_rate: deadlines.target_miss_rate,
        ttft_slack_s: deadlines.ttft_slack_s ?? 0,
      },
      predictor ? (prompt) => predictPrefillUs(predictor, prompt) : undefined,
    );
  }

  add(record: RequestRecord): void {
    if (this.region !== undefined && record.region !== this.region) return;
    this.records += 1;
    if (record.outcome !== 'ok') {
      this.failed += 1;
      return;
    }
    const m = computeRequestMetrics(record, this.deadlines, false);
    if (m.ittUs.length === 0) return;
    this.ttftS.push(usToS(m.ttftUs!));
    const gaps = new Float64Array(Math.max(0, m.ittUs.length - 1));
    for (let i = 1; i < m.ittUs.length; i++) {
      gaps[i - 1] = usToS(m.ittUs[i]!);
      this.tbtS.push(gaps[i - 1]!);
    }
    if (gaps.length > 0) this.tbtPerRequestS.push(gaps);
    if (m.tpotUs !== null) this.tpotS.push(usToS(m.tpotUs));
    if (m.outputThroughputTps !== null) this.outputSpeedTokS.push(m.outputThroughputTps);
    const total = m.deadlines.total;
    this.missed.push(m.deadlines.missed);
    this.deadlinesTotal.push(total);
    this.fluidity.push(1 - (total === 0 ? 0 : m.deadlines.missed / total));
    if (m.ittUs.length >= 2 && m.decodeOnlyMinTbtDeadlineUs !== null)
      this.decodeOnlyMinDeadlineS.push(usToS(m.decodeOnlyMinTbtDeadlineUs));
  }

  /**
   * The service-level miss rate's interval: clustered by request, widened to contain the Wilson
   * interval of the deadlines taken as independent (so 0 misses of many deadlines is not [0, 0]).
   */
  private missRateInterval(): Interval {
    const clustered = clusteredRatioInterval(this.missed, this.deadlinesTotal);
    let missed = 0;
    let total = 0;
    for (const [i, m] of this.missed.entries()) {
      missed += m;
      total += this.deadlinesTotal[i]!;
    }
    if (total === 0) return clustered;
    const independent = wilsonInterval(missed, total);
    return { lo: Math.min(clustered.lo, independent.lo), hi: Math.max(clustered.hi, independent.hi) };
  }

  /** Each headline metric's 95% interval (the metrics of docs/history.md, capacity aside). */
  intervals(): Partial<Record<HeadlineMetric, MetricInterval>> {
    const sorted = (values: number[]) => Float64Array.from(values).sort();
    const ttft = sorted(this.ttftS);
    const fluidity = sorted(this.fluidity);
    const order = (interval: Interval): MetricInterval => ({ ...interval, method: 'order_statistic' });
    return {
      ttft_p50_s: order(quantileIntervalSorted(ttft, 0.5)),
      ttft_p99_s: order(quantileIntervalSorted(ttft, 0.99)),
      tbt_p99_s: {
        ...clusteredQuantileInterval(sorted(this.tbtS), this.tbtPerRequestS, 0.99),
        method: 'clustered_quantile',
      },
      tpot_mean_s: { ...meanIntervalClt(this.tpotS), method: 'clt_mean' },
      output_speed_tok_s: order(quantileIntervalSorted(sorted(this.outputSpeedTokS), 0.5)),
      // Fluidity is a fraction: an unbounded side stops at 0 or 1.
      fluidity_p1: order(clampInterval(quantileIntervalSorted(fluidity, 0.01), 0, 1)),
      fluidity_p50: order(clampInterval(quantileIntervalSorted(fluidity, 0.5), 0, 1)),
      service_miss_rate: { ...this.missRateInterval(), method: 'clustered_ratio' },
      fluid_token_rate_tok_s: order(
        reciprocalInterval(quantileIntervalSorted(sorted(this.decodeOnlyMinDeadlineS), 0.99)),
      ),
      error_rate: { ...wilsonInterval(this.failed, this.records), method: 'wilson' },
    };
  }
}

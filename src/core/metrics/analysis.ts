import { predictPrefillUs } from '../profile/prefill-predictor.ts';
import type { PredictorParams } from '../profile/prefill-profile.ts';
import type { RequestRecord } from '../record/request-record.ts';
import { type DeadlineOptions, type ResolvedDeadlines, resolveDeadlines } from './deadline-options.ts';
import {
  computeRequestMetrics,
  type RequestMetrics,
  type RequestMetricsRow,
  toRequestMetricsRow,
} from './request-metrics.ts';
import {
  RunSummary,
  type RunSummaryOptions,
  type RunSummaryState,
  type SummaryReport,
} from './run-summary.ts';

/** Requests without a region are grouped under this name. */
export const NO_REGION = 'unspecified';

export interface AnalyzerOptions extends RunSummaryOptions {
  deadlines: DeadlineOptions;
  /** Predicted prefill time in µs for a prompt length; makes the TTFT deadline predictor-based. */
  predictPrefillUs?: (promptTokens: number) => number;
  /**
   * The predictor's parameters (a run's `deadlines.prefill_predictor`): used when `predictPrefillUs`
   * is absent, and reported with the deadlines so that results say what judged them.
   */
  prefillPredictor?: PredictorParams;
  /** Keep every per-request row for the report (off for summary-only use on huge inputs). */
  keepRequests?: boolean;
  /** Called with each request's metrics (e.g. to export etalon's per-request file). */
  onRequest?: (metrics: RequestMetrics) => void;
}

export interface AnalysisReport {
  requests: RequestMetricsRow[];
  summary: SummaryReport & { deadlines: DeadlinesReport; regions: Record<string, SummaryReport> };
  throughput: SummaryReport['throughput'];
  service_level: SummaryReport['service_level'];
}

export interface DeadlinesReport {
  ttft_deadline_s: number | null;
  ttft_deadline_source: 'fixed' | 'prefill_predictor';
  ttft_slack_s: number | null;
  tbt_deadline_s: number;
  target_miss_rate: number;
  /** The predictor behind the TTFT deadlines, when the Analyzer was given its parameters. */
  prefill_predictor?: PredictorParams;
}

/**
 * Streams request records into per-region mergeable summaries (docs/metrics.md); the overall summary
 * is the merge of the regions. Records must already be schema-valid.
 */
export class Analyzer {
  private readonly deadlines: ResolvedDeadlines;
  private readonly regions = new Map<string, RunSummary>();
  private readonly rows: RequestMetricsRow[] = [];
  private readonly options: AnalyzerOptions;
  /** Per-request figures only rows use (the fixed-TTFT minimum deadline) are computed only for them. */
  private readonly perRequestDetail: boolean;

  constructor(options: AnalyzerOptions) {
    this.options = options;
    this.perRequestDetail = options.keepRequests === true || options.onRequest !== undefined;
    const params = options.prefillPredictor;
    this.deadlines = resolveDeadlines(
      options.deadlines,
      options.predictPrefillUs ??
        (params !== undefined ? (prompt: number) => predictPrefillUs(params, prompt) : undefined),
    );
  }

  add(record: RequestRecord): RequestMetrics {
    const metrics = computeRequestMetrics(record, this.deadlines, this.perRequestDetail);
    const region = record.region ?? NO_REGION;
    let summary = this.regions.get(region);
    if (!summary) {
      summary = new RunSummary(this.options);
      this.regions.set(region, summary);
    }
    summary.add(metrics);
    if (this.options.keepRequests) this.rows.push(toRequestMetricsRow(metrics));
    this.options.onRequest?.(metrics);
    return metrics;
  }

  /** The per-request rows kept so far (`keepRequests`). */
  requestRows(): RequestMetricsRow[] {
    return this.rows;
  }

  /** Each region's mergeable summary state (e.g. to send to another thread). */
  regionStates(): Record<string, RunSummaryState> {
    return Object.fromEntries([...this.regions].map(([name, summary]) => [name, summary.toJSON()]));
  }

  /** Takes in another analyzer's regions and rows (appended after this one's). */
  absorb(regions: Record<string, RunSummaryState>, rows: readonly RequestMetricsRow[]): void {
    for (const [name, state] of Object.entries(regions)) {
      const incoming = RunSummary.fromJSON(state);
      const mine = this.regions.get(name);
      if (mine) mine.merge(incoming);
      else this.regions.set(name, incoming);
    }
    for (const row of rows) this.rows.push(row);
  }

  report(): AnalysisReport {
    const overall = new RunSummary(this.options);
    const regions: Record<string, SummaryReport> = {};
    for (const [name, summary] of [...this.regions].sort(([a], [b]) => a.localeCompare(b))) {
      overall.merge(summary);
      regions[name] = summary.report();
    }
    const report = overall.report();
    const d = this.options.deadlines;
    return {
      requests: this.rows,
      summary: {
        ...report,
        deadlines: {
          ttft_deadline_s: this.deadlines.predicted ? null : d.ttft_deadline_s,
          ttft_deadline_source: this.deadlines.predicted ? 'prefill_predictor' : 'fixed',
          ttft_slack_s: this.deadlines.predicted ? d.ttft_slack_s : null,
          tbt_deadline_s: d.tbt_deadline_s,
          target_miss_rate: d.target_miss_rate,
          ...(this.options.prefillPredictor !== undefined
            ? { prefill_predictor: this.options.prefillPredictor }
            : {}),
        },
        regions,
      },
      throughput: report.throughput,
      service_level: report.service_level,
    };
  }
}

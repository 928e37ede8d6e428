import type { RunResults } from '../api/run-results-schema.ts';
import type { AnalysisReport } from '../metrics/analysis.ts';
import { NO_REGION } from '../metrics/analysis.ts';
import { resolveDeadlines } from '../metrics/deadline-options.ts';
import { deadlineMissesPerToken, missRate } from '../metrics/fluidity.ts';
import { CURVE_TBT_DEADLINES_MS, decodeOnlyMissRates } from '../metrics/miss-rate-curve.ts';
import { ANALYZE_EXACT_LIMIT, QuantileSummary } from '../metrics/quantile-summary.ts';
import { interTokenTimesUs } from '../metrics/token-times.ts';
import { usToS } from '../metrics/units.ts';
import { predictPrefillUs } from '../profile/prefill-predictor.ts';
import type { Outcome, RequestRecord } from '../record/request-record.ts';
import {
  CDF_POINTS,
  type CdfSet,
  CURVE_MAX_REQUESTS,
  type RunReportData,
  type RunSeries,
  SERIES_MAX_BINS,
  TIMELINE_MAX_REQUESTS,
  TIMELINE_MAX_SEGMENTS,
  type TimelineRequest,
} from './report-data.ts';
import { runKpis } from './report-kpis.ts';

/** The report's numbers: a run's `/results`, or (an exported file) what `analyze --json` computes. */
export type ResultsLike = Pick<RunResults, 'summary' | 'throughput' | 'service_level'> &
  Partial<Pick<RunResults, 'id' | 'name' | 'state' | 'target' | 'load' | 'started_at_ms' | 'finished_at_ms'>>;

/**
 * Builds a run's report page data from its results and its records (already schema-valid). The
 * KPIs are read from `results`; the timeline, CDFs and series are computed from the records under
 * the deadlines the results were measured against.
 */
export function buildRunReportData(input: {
  results: ResultsLike | AnalysisReport;
  records: readonly RequestRecord[];
  source: RunReportData['source'];
  nowMs: number;
}): RunReportData {
  const results = input.results as ResultsLike;
  const d = results.summary.deadlines;
  const predictor = d.prefill_predictor;
  const deadlines = resolveDeadlines(
    {
      ttft_deadline_s: d.ttft_deadline_s ?? 0.3,
      tbt_deadline_s: d.tbt_deadline_s,
      target_miss_rate: d.target_miss_rate,
      ttft_slack_s: d.ttft_slack_s ?? 0,
    },
    predictor !== undefined ? (prompt) => predictPrefillUs(predictor, prompt) : undefined,
  );
  const records = [...input.records].sort((a, b) => a.sent_at_ms - b.sent_at_ms);
  const t0 = records.length > 0 ? records[0]!.sent_at_ms : 0;
  const regionNames = [...new Set(records.map((r) => r.region ?? NO_REGION))].sort();
  const regionIndex = new Map(regionNames.map((name, i) => [name, i]));
  const every = Math.max(1, Math.ceil(records.length / TIMELINE_MAX_REQUESTS));

  const summaries = new Map<string, Record<CdfSet['metric'], QuantileSummary>>();
  const summariesOf = (region: string) => {
    let s = summaries.get(region);
    if (!s) {
      const q = () => new QuantileSummary(ANALYZE_EXACT_LIMIT);
      s = { ttft_s: q(), tbt_s: q(), tpot_s: q(), e2e_s: q(), miss_rate: q() };
      summaries.set(region, s);
    }
    return s;
  };

  // The P99 miss-rate curve, when the results lack it: from the successful requests (evenly sampled
  // beyond CURVE_MAX_REQUESTS: each costs 100 decode simulations).
  const curve =
    results.summary.miss_rate_curve === null
      ? CURVE_TBT_DEADLINES_MS.map(() => new QuantileSummary(ANALYZE_EXACT_LIMIT))
      : null;
  const okCount = records.filter((r) => r.outcome === 'ok').length;
  const curveEvery = Math.max(1, Math.ceil(okCount / CURVE_MAX_REQUESTS));
  let okSeen = 0;

  const timeline: TimelineRequest[] = [];
  let mergedSegments = 0;
  let endMs = t0;
  const spans: { start: number; end: number; outcome: Outcome; lag: number | null }[] = [];
  const tokenTimes: [atMs: number, tokens: number][] = [];
  records.forEach((record, i) => {
    const region = record.region ?? NO_REGION;
    const itt = interTokenTimesUs(record.chunks);
    const ttftUs = deadlines.ttftDeadlineUs(record.prompt_tokens);
    const overran = deadlineMissesPerToken(itt, ttftUs, deadlines.tbtDeadlineUs);
    // The distributions describe successful requests, as the results' summaries do.
    if (record.outcome === 'ok') {
      addToCdfs(summariesOf(region), itt, overran);
      if (curve && itt.length > 0 && okSeen++ % curveEvery === 0)
        decodeOnlyMissRates(itt).forEach((rate, k) => {
          curve[k]!.add(rate);
        });
    }

    const lastChunkMs = lastTokenChunkMs(record.chunks);
    const end = record.sent_at_ms + Math.max(lastChunkMs ?? 0, record.headers_ms ?? 0);
    endMs = Math.max(endMs, end);
    const lag = record.scheduled_at_ms === undefined ? null : record.sent_at_ms - record.scheduled_at_ms;
    spans.push({ start: record.sent_at_ms, end, outcome: record.outcome, lag });
    for (const [offset, tokens] of record.chunks)
      if (tokens > 0) tokenTimes.push([record.sent_at_ms + offset, tokens]);

    if (i % every !== 0) return;
    const { c, m, merged } = segments(record.chunks, overran);
    if (merged) mergedSegments++;
    timeline.push({
      s: round1(record.sent_at_ms - t0),
      r: regionIndex.get(region)!,
      o: record.outcome,
      l: lag === null ? null : round1(lag),
      h: record.headers_ms === undefined ? null : round1(record.headers_ms),
      c,
      m,
      n: record.output_tokens,
    });
  });

  const series = runSeries(t0, endMs, spans, tokenTimes);
  const notes: string[] = [];
  if (every > 1)
    notes.push(
      `The timeline shows every ${ordinal(every)} request by send time (${timeline.length} of ${records.length}).`,
    );
  if (mergedSegments > 0)
    notes.push(
      `${mergedSegments} long streams on the timeline have their later reads merged into ${TIMELINE_MAX_SEGMENTS} segments (a merged segment is red when any of its tokens missed).`,
    );
  notes.push(
    `CDFs are drawn at ${CDF_POINTS} quantiles of all values; over-the-run series use ${series.bin_s} s bins.`,
  );
  let missRateCurve = results.summary.miss_rate_curve;
  if (curve && curve[0]!.count > 0) {
    missRateCurve = {
      tbt_deadline_ms: [...CURVE_TBT_DEADLINES_MS],
      p99_miss_rate: curve.map((q) => q.quantile(0.99)),
    };
    notes.push(
      curveEvery > 1
        ? `The P99 miss-rate curve is computed here from every ${ordinal(curveEvery)} successful request (${curve[0]!.count}).`
        : 'The P99 miss-rate curve is computed here from the records (the results do not hold it).',
    );
  }
  const summaryRegions = results.summary.regions;
  return {
    kind: 'run',
    title: `Run ${results.name ?? results.id ?? (input.source.type === 'file' ? input.source.name : '')}`,
    generated_at_ms: input.nowMs,
    source: input.source,
    run:
      results.id !== undefined
        ? {
            id: results.id,
            name: results.name ?? null,
            state: results.state ?? 'unknown',
            target: results.target ?? null,
            started_at_ms: results.started_at_ms ?? null,
            finished_at_ms: results.finished_at_ms ?? null,
          }
        : null,
    kpis: runKpis(results, outputTokensPerS(tokenTimes, t0)),
    deadlines: {
      ttft_deadline_s: d.ttft_deadline_s,
      ttft_source: d.ttft_deadline_source,
      tbt_deadline_s: d.tbt_deadline_s,
    },
    regions: regionNames,
    requests: records.length,
    timeline: { requests: timeline, total: records.length, every, merged_segments: mergedSegments },
    cdfs: cdfSets(summaries),
    miss_rate_curve: missRateCurve,
    series,
    region_table: Object.entries(summaryRegions).map(([region, r]) => ({
      region,
      requests: r.requests,
      error_rate: r.error_rate,
      ttft_p50_s: r.ttft_s.p50,
      ttft_p99_s: r.ttft_s.p99,
      tbt_p99_s: r.tbt_s.p99,
      miss_rate: r.service_level.miss_rate,
    })),
    notes,
  };
}

function addToCdfs(
  s: Record<CdfSet['metric'], QuantileSummary>,
  itt: readonly number[],
  overran: readonly number[],
): void {
  let e2eUs = 0;
  for (let k = 0; k < itt.length; k++) {
    e2eUs += itt[k]!;
    if (k > 0) s.tbt_s.add(itt[k]!);
  }
  if (itt.length > 0) {
    s.ttft_s.add(itt[0]!);
    s.e2e_s.add(e2eUs);
  }
  if (itt.length >= 2) s.tpot_s.add((e2eUs - itt[0]!) / (itt.length - 1));
  let missed = 0;
  for (const o of overran) missed += o;
  s.miss_rate.add(missRate({ missed, total: missed + itt.length - countPositive(overran) }));
}

function countPositive(values: readonly number[]): number {
  let n = 0;
  for (const v of values) if (v > 0) n++;
  return n;
}

function lastTokenChunkMs(chunks: RequestRecord['chunks']): number | null {
  for (let i = chunks.length - 1; i >= 0; i--) if (chunks[i]![1] > 0) return chunks[i]![0];
  return null;
}

/** Token-carrying reads as segment ends, and which missed; beyond the cap, reads merge into groups. */
function segments(
  chunks: RequestRecord['chunks'],
  overran: readonly number[],
): { c: number[]; m: number[]; merged: boolean } {
  const times: number[] = [];
  const missed: boolean[] = [];
  let token = 0;
  for (const [offset, tokens] of chunks) {
    if (tokens === 0) continue;
    let miss = false;
    for (let k = token; k < token + tokens; k++) if ((overran[k] ?? 0) > 0) miss = true;
    token += tokens;
    times.push(offset);
    missed.push(miss);
  }
  const group = Math.ceil(times.length / TIMELINE_MAX_SEGMENTS);
  const c: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < times.length; i += group) {
    const last = Math.min(times.length, i + group) - 1;
    if (missed.slice(i, last + 1).some(Boolean)) m.push(c.length);
    c.push(round1(times[last]!));
  }
  return { c, m, merged: group > 1 };
}

function cdfSets(summaries: Map<string, Record<CdfSet['metric'], QuantileSummary>>): CdfSet[] {
  const defs: [CdfSet['metric'], string, CdfSet['unit']][] = [
    ['ttft_s', 'TTFT', 's'],
    ['tbt_s', 'TBT (time between tokens)', 's'],
    ['tpot_s', 'TPOT (time per output token)', 's'],
    ['e2e_s', 'End-to-end latency', 's'],
    ['miss_rate', 'Per-request deadline miss rate', 'ratio'],
  ];
  const qs = Array.from({ length: CDF_POINTS }, (_, i) => i / (CDF_POINTS - 1));
  return defs.map(([metric, label, unit]) => {
    const regions: CdfSet['regions'] = {};
    for (const [region, s] of [...summaries].sort(([a], [b]) => a.localeCompare(b))) {
      const q = s[metric];
      if (q.count === 0) continue;
      // Times are summarised in µs (exact integers); the page shows seconds.
      const scale = unit === 's' ? usToS : (v: number) => v;
      regions[region] = { count: q.count, x: q.quantiles(qs).map((v) => scale(v!)) };
    }
    return { metric, label, unit, regions };
  });
}

function runSeries(
  t0: number,
  endMs: number,
  spans: readonly { start: number; end: number; outcome: Outcome; lag: number | null }[],
  tokenTimes: readonly [number, number][],
): RunSeries {
  const spanS = Math.max(0.001, (endMs - t0) / 1000);
  const binS = niceBinS(spanS / SERIES_MAX_BINS);
  const bins = Math.max(1, Math.ceil(spanS / binS));
  const binMs = binS * 1000;
  const at = (ms: number) => Math.min(bins - 1, Math.max(0, Math.floor((ms - t0) / binMs)));
  const tokens = new Array<number>(bins).fill(0);
  const busyMs = new Array<number>(bins).fill(0);
  const lag: (number | null)[] = new Array<number | null>(bins).fill(null);
  const errors: RunSeries['errors'] = {};
  for (const [ms, n] of tokenTimes) tokens[at(ms)]! += n;
  for (const span of spans) {
    for (let b = at(span.start); b <= at(span.end); b++) {
      const from = Math.max(span.start, t0 + b * binMs);
      const to = Math.min(span.end, t0 + (b + 1) * binMs);
      if (to > from) busyMs[b]! += to - from;
    }
    if (span.lag !== null) {
      const b = at(span.start);
      lag[b] = Math.max(lag[b] ?? Number.NEGATIVE_INFINITY, span.lag);
    }
    if (span.outcome !== 'ok') {
      const list = errors[span.outcome] ?? new Array<number>(bins).fill(0);
      list[at(span.end)]! += 1;
      errors[span.outcome] = list;
    }
  }
  return {
    bin_s: binS,
    t: Array.from({ length: bins }, (_, b) => round3(b * binS)),
    tokens_per_s: tokens.map((n) => round3(n / binS)),
    in_flight: busyMs.map((ms) => round3(ms / binMs)),
    schedule_lag_max_ms: lag.map((v) => (v === null ? null : round1(v))),
    errors,
  };
}

/** Output tokens per second from the first send to the last token (null without tokens). */
function outputTokensPerS(tokenTimes: readonly [number, number][], t0: number): number | null {
  let total = 0;
  let last = t0;
  for (const [ms, n] of tokenTimes) {
    total += n;
    last = Math.max(last, ms);
  }
  return total > 0 && last > t0 ? total / ((last - t0) / 1000) : null;
}

/** The smallest of 1, 2, 5 × 10^k seconds at least `minS` (at least 1 ms). */
export function niceBinS(minS: number): number {
  let base = 0.001;
  for (;;) {
    for (const f of [1, 2, 5]) if (base * f >= minS) return round3(base * f);
    base *= 10;
  }
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th');
  return `${n}${s}`;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

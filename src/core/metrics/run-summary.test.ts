// The mergeable run summary (docs/metrics.md) on random request sets: splitting, merging and
// serialising must not change the report; failures count in totals, not in latency figures.
//
// Comparison rule (expectSameReport). Counts, outcomes, min, max and service-level integers are
// always equal. Quantiles are equal while exact; once sketched they must agree within the sketch's
// 0.1% relative accuracy. Means are compared at 1e-9 relative: a mean is sum / count, and the sum of
// non-integer values (TPOT, normalized e2e, throughput, miss rates) depends on the order of
// addition, which merging changes by a few ulps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OUTCOMES,
  type RequestRecord,
  requestRecordSchema,
  TOKEN_COUNT_SOURCES,
} from '../record/request-record.ts';
import { Analyzer, NO_REGION } from './analysis.ts';
import { deadlineOptionsSchema, resolveDeadlines } from './deadline-options.ts';
import { missRate } from './fluidity.ts';
import { percentile } from './percentile.ts';
import type { QuantileStats } from './quantile-summary.ts';
import { computeRequestMetrics, type RequestMetrics } from './request-metrics.ts';
import {
  RunSummary,
  type RunSummaryOptions,
  runSummaryStateSchema,
  type SummaryReport,
} from './run-summary.ts';
import type { Chunk } from './token-times.ts';

const DEADLINES = resolveDeadlines(deadlineOptionsSchema.parse({}));
const EXACT = 1_000_000_000;

const readGapUs = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 100_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 100 }).map((ms) => ms * 1000) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 2_000_000 }) },
);
const chunksArb: fc.Arbitrary<Chunk[]> = fc
  .array(fc.tuple(readGapUs, fc.integer({ min: 0, max: 5 })), { maxLength: 80 })
  .map((reads) => {
    let atUs = 0;
    return reads.map(([gapUs, tokens]): Chunk => {
      atUs += gapUs;
      return [atUs / 1000, tokens];
    });
  });

const rawRecordArb = fc.record({
  region: fc.constantFrom(undefined, 'eu-west', 'us-east', 'ap-south'),
  sentMs: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_600_000 }),
  // A negative lag (sent before its slot) is allowed: it exercises negative values in a summary.
  lagTenthsMs: fc.option(fc.integer({ min: -500, max: 50_000 }), { nil: undefined }),
  headersUs: fc.option(fc.integer({ min: 0, max: 2_000_000 }), { nil: undefined }),
  promptTokens: fc.integer({ min: 1, max: 20_000 }),
  chunks: chunksArb,
  outcome: fc.oneof({ weight: 4, arbitrary: fc.constant('ok' as const) }, fc.constantFrom(...OUTCOMES)),
  source: fc.constantFrom(...TOKEN_COUNT_SOURCES),
  reasoning: fc.option(
    fc.record({
      tokens: fc.option(fc.nat({ max: 2000 }), { nil: undefined }),
      firstMs: fc.option(
        fc.integer({ min: 0, max: 5_000_000 }).map((us) => us / 1000),
        { nil: undefined },
      ),
      visibleMs: fc.option(
        fc.integer({ min: 0, max: 9_000_000 }).map((us) => us / 1000),
        { nil: undefined },
      ),
      cached: fc.option(fc.nat({ max: 20_000 }), { nil: undefined }),
    }),
    { nil: undefined },
  ),
});

const recordsArb = fc.array(rawRecordArb, { maxLength: 20 }).map((raws) =>
  raws.map(
    (r, i): RequestRecord =>
      requestRecordSchema.parse({
        id: `req-${i}`,
        region: r.region,
        scheduled_at_ms: r.lagTenthsMs === undefined ? undefined : r.sentMs - r.lagTenthsMs / 10,
        sent_at_ms: r.sentMs,
        headers_ms: r.headersUs === undefined ? undefined : r.headersUs / 1000,
        prompt_tokens: r.promptTokens,
        output_tokens: r.chunks.reduce((n, [, k]) => n + k, 0),
        chunks: r.chunks,
        token_count_source: r.source,
        outcome: r.outcome,
        status: r.outcome === 'ok' ? 200 : r.outcome === 'rate_limited' ? 429 : undefined,
        reasoning_tokens: r.reasoning?.tokens,
        first_reasoning_ms: r.reasoning?.firstMs,
        first_visible_ms: r.reasoning?.visibleMs,
        cached_prompt_tokens: r.reasoning?.cached,
      }),
  ),
);

/** Records with their metrics (computed once) and a random assignment to two halves. */
const inputArb = fc
  .tuple(recordsArb, fc.boolean())
  .chain(([records, curve]) =>
    fc.tuple(
      fc.constant(records),
      fc.constant(curve),
      fc.array(fc.boolean(), { minLength: records.length, maxLength: records.length }),
    ),
  )
  .map(([records, curve, side]) => ({
    records,
    metrics: records.map((r) => computeRequestMetrics(r, DEADLINES)),
    curve,
    side,
  }));

function summarise(metrics: readonly RequestMetrics[], options: RunSummaryOptions): RunSummary {
  const s = new RunSummary(options);
  for (const m of metrics) s.add(m);
  return s;
}

/** Summaries of the two sides of a split, merged. */
function summariseHalvesMerged(
  metrics: readonly RequestMetrics[],
  side: readonly boolean[],
  options: RunSummaryOptions,
): RunSummary {
  const merged = summarise(
    metrics.filter((_, i) => side[i]),
    options,
  );
  merged.merge(
    summarise(
      metrics.filter((_, i) => !side[i]),
      options,
    ),
  );
  return merged;
}

const STATS_KEYS = [
  'ttft_s',
  'tbt_s',
  'tpot_s',
  'e2e_s',
  'normalized_e2e_s',
  'inter_chunk_s',
  'headers_s',
  'decode_only_min_tbt_deadline_s',
  'output_throughput',
  'fluidity_index',
  'miss_rate',
  'prompt_tokens',
  'output_tokens',
  'schedule_lag_ms',
] as const;
const OTHER_KEYS = [
  'requests',
  'ok',
  'failed',
  'error_rate',
  'outcomes',
  'service_level',
  'stream',
  'throughput',
  'reasoning',
  'miss_rate_curve',
];
const QUANTILE_KEYS = ['p1', 'p50', 'p90', 'p95', 'p99', 'p99_9'] as const;
const SKETCH_TOLERANCE = 0.001 * (1 + 1e-9);

function expectRelative(
  actual: number | null,
  expected: number | null,
  tolerance: number,
  label: string,
): void {
  if (expected === null) return void expect(actual, label).toBeNull();
  expect(actual, label).not.toBeNull();
  expect(Math.abs(actual! - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    tolerance * Math.abs(expected),
  );
}

function expectSameStats(actual: QuantileStats, expected: QuantileStats, label: string): void {
  expect(actual.count, `${label}.count`).toBe(expected.count);
  expect(actual.exact, `${label}.exact`).toBe(expected.exact);
  expect(actual.min, `${label}.min`).toBe(expected.min);
  expect(actual.max, `${label}.max`).toBe(expected.max);
  expectRelative(actual.mean, expected.mean, 1e-9, `${label}.mean`);
  for (const k of QUANTILE_KEYS) {
    if (expected.exact) expect(actual[k], `${label}.${k}`).toBe(expected[k]);
    else expectRelative(actual[k], expected[k], SKETCH_TOLERANCE, `${label}.${k}`);
  }
}

/** The comparison rule of the header comment. */
function expectSameReport(actual: SummaryReport, expected: SummaryReport): void {
  // Every field of the report is compared below; a new field must be added here.
  expect(Object.keys(actual).sort()).toEqual([...STATS_KEYS, ...OTHER_KEYS].sort());
  expect(actual.requests).toBe(expected.requests);
  expect(actual.ok).toBe(expected.ok);
  expect(actual.failed).toBe(expected.failed);
  expect(actual.error_rate).toBe(expected.error_rate);
  expect(actual.outcomes).toEqual(expected.outcomes);
  expect(actual.service_level).toEqual(expected.service_level);
  expect(actual.stream.token_count_mismatches).toBe(expected.stream.token_count_mismatches);
  expectRelative(actual.stream.tokens_per_read, expected.stream.tokens_per_read, 1e-12, 'tokens_per_read');
  for (const key of STATS_KEYS) expectSameStats(actual[key], expected[key], key);
  for (const key of ['ttfrt_s', 'ttfvt_s', 'reasoning_tokens', 'cached_prompt_tokens'] as const)
    expectSameStats(actual.reasoning![key], expected.reasoning![key], `reasoning.${key}`);
  const quantileTolerance = (stats: QuantileStats) => (stats.exact ? 0 : 2.5 * SKETCH_TOLERANCE);
  const t = actual.throughput;
  const e = expected.throughput;
  expectRelative(t.tpot_based_throughput, e.tpot_based_throughput, 1e-9, 'tpot_based_throughput');
  expectRelative(
    t.tbt_based_throughput,
    e.tbt_based_throughput,
    quantileTolerance(expected.tbt_s),
    'tbt_based',
  );
  expectRelative(
    t.fluid_token_generation_rate,
    e.fluid_token_generation_rate,
    quantileTolerance(expected.decode_only_min_tbt_deadline_s),
    'fluid_token_generation_rate',
  );
  if (expected.miss_rate_curve === null) return void expect(actual.miss_rate_curve).toBeNull();
  expect(actual.miss_rate_curve!.tbt_deadline_ms).toEqual(expected.miss_rate_curve.tbt_deadline_ms);
  expected.miss_rate_curve.p99_miss_rate.forEach((rate, k) => {
    expectRelative(actual.miss_rate_curve!.p99_miss_rate[k]!, rate, SKETCH_TOLERANCE, `curve[${k}]`);
  });
}

describe('RunSummary.merge', () => {
  it('two halves merged give the report of the whole (exact mode: equal)', () => {
    fc.assert(
      fc.property(inputArb, ({ metrics, curve, side }) => {
        const options = { exactLimit: EXACT, missRateCurve: curve };
        const whole = summarise(metrics, options);
        const merged = summariseHalvesMerged(metrics, side, options);
        const expected = whole.report();
        for (const key of STATS_KEYS) expect(expected[key].exact).toBe(true);
        expectSameReport(merged.report(), expected);
      }),
      { numRuns: 40 },
    );
  });

  it('per-region summaries merged give the report of the whole, in any merge order', () => {
    fc.assert(
      fc.property(inputArb, fc.boolean(), ({ metrics, curve }, reverse) => {
        const options = { exactLimit: EXACT, missRateCurve: curve };
        const regions = [...new Set(metrics.map((m) => m.region))];
        if (reverse) regions.reverse();
        const merged = new RunSummary(options);
        for (const region of regions)
          merged.merge(
            summarise(
              metrics.filter((m) => m.region === region),
              options,
            ),
          );
        expectSameReport(merged.report(), summarise(metrics, options).report());
      }),
      { numRuns: 30 },
    );
  });

  it('with a small exact limit forcing sketches: counts exact, quantiles within 0.1%', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 1, max: 12 }), ({ metrics, curve, side }, limit) => {
        const options = { exactLimit: limit, missRateCurve: curve };
        const merged = summariseHalvesMerged(metrics, side, options);
        expectSameReport(merged.report(), summarise(metrics, options).report());
      }),
      { numRuns: 40 },
    );
  });
});

describe('RunSummary JSON state', () => {
  it('round-trips through toJSON → runSummaryStateSchema → fromJSON with the same report', () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom(2, 8, EXACT), ({ metrics, curve }, limit) => {
        const s = summarise(metrics, { exactLimit: limit, missRateCurve: curve });
        const state = runSummaryStateSchema.parse(JSON.parse(JSON.stringify(s.toJSON())));
        const restored = RunSummary.fromJSON(state);
        expect(restored.report()).toEqual(s.report());
        // …and the restored summary keeps merging like the original.
        const again = RunSummary.fromJSON(state);
        again.merge(restored);
        const twice = summarise([...metrics, ...metrics], { exactLimit: limit, missRateCurve: curve });
        expect(again.requests).toBe(twice.requests);
        expect(again.report().service_level).toEqual(twice.report().service_level);
        expect(again.report().ttft_s.count).toBe(twice.report().ttft_s.count);
      }),
      { numRuns: 30 },
    );
  });
});

describe('RunSummary figures', () => {
  it('counts failures in requests, outcomes and error rate, never in latency or deadline figures', () => {
    fc.assert(
      fc.property(inputArb, ({ metrics, curve }) => {
        const options = { exactLimit: EXACT, missRateCurve: curve };
        const all = summarise(metrics, options).report();
        const ok = metrics.filter((m) => m.outcome === 'ok');
        const onlyOk = summarise(ok, options).report();
        expect(all.requests).toBe(metrics.length);
        expect(all.ok).toBe(ok.length);
        expect(all.failed).toBe(metrics.length - ok.length);
        expect(all.error_rate).toBe(
          metrics.length === 0 ? null : (metrics.length - ok.length) / metrics.length,
        );
        for (const o of OUTCOMES) expect(all.outcomes[o]).toBe(metrics.filter((m) => m.outcome === o).length);
        // Every latency, token, deadline and throughput figure is that of the ok requests alone.
        const latency = STATS_KEYS.filter((k) => k !== 'headers_s' && k !== 'schedule_lag_ms');
        for (const key of latency) expect(all[key], key).toEqual(onlyOk[key]);
        expect(all.service_level).toEqual(onlyOk.service_level);
        expect(all.throughput).toEqual(onlyOk.throughput);
        expect(all.miss_rate_curve).toEqual(onlyOk.miss_rate_curve);
        // Headers and schedule lag describe the client and the connection: kept for every request.
        expect(all.headers_s.count).toBe(metrics.filter((m) => m.headersUs !== null).length);
        expect(all.schedule_lag_ms.count).toBe(metrics.filter((m) => m.scheduleLagMs !== null).length);
      }),
      { numRuns: 40 },
    );
  });

  it('service-level missed/total are the sums of the per-request counts, and distributions match the requests', () => {
    fc.assert(
      fc.property(inputArb, ({ metrics }) => {
        const report = summarise(metrics, { exactLimit: EXACT }).report();
        const ok = metrics.filter((m) => m.outcome === 'ok');
        const missed = ok.reduce((n, m) => n + m.deadlines.missed, 0);
        const total = ok.reduce((n, m) => n + m.deadlines.total, 0);
        expect(report.service_level).toEqual({
          missed_deadlines: missed,
          total_deadlines: total,
          miss_rate: total === 0 ? 0 : missed / total,
        });
        const withTokens = ok.filter((m) => m.ittUs.length > 0);
        expect(report.ttft_s.count).toBe(withTokens.length);
        expect(report.e2e_s.count).toBe(withTokens.length);
        expect(report.tbt_s.count).toBe(withTokens.reduce((n, m) => n + m.ittUs.length - 1, 0));
        expect(report.tpot_s.count).toBe(ok.filter((m) => m.ittUs.length >= 2).length);
        expect(report.decode_only_min_tbt_deadline_s.count).toBe(
          ok.filter((m) => m.ittUs.length >= 2).length,
        );
        expect(report.prompt_tokens.count).toBe(ok.length);
        const e2e = withTokens.map((m) => m.e2eUs! / 1e6);
        expect(report.e2e_s.max).toBe(e2e.length === 0 ? null : Math.max(...e2e));
        const rates = withTokens.map((m) => missRate(m.deadlines));
        expect(report.miss_rate.p99).toBe(rates.length === 0 ? null : percentile(rates, 0.99));
        const p99Tbt = percentile(
          withTokens.flatMap((m) => m.ittUs.slice(1)),
          0.99,
        );
        expectRelative(
          report.throughput.tbt_based_throughput,
          p99Tbt === null || p99Tbt === 0 ? null : 1e6 / p99Tbt,
          1e-12,
          'tbt_based_throughput',
        );
      }),
      { numRuns: 40 },
    );
  });

  it('TBT is exact whenever the inter-chunk gaps are: the zeros of multi-token reads add no sketch', () => {
    // Gaps 10, 20, 30 ms: three distinct values, the exact limit; the 2-token reads add zeros.
    const record = requestRecordSchema.parse({
      id: 'r',
      sent_at_ms: 0,
      prompt_tokens: 1,
      output_tokens: 8,
      chunks: [
        [100, 2],
        [110, 2],
        [130, 2],
        [160, 2],
      ],
      token_count_source: 'usage_stream',
      outcome: 'ok',
    });
    const report = summarise([computeRequestMetrics(record, DEADLINES)], { exactLimit: 3 }).report();
    expect(report.inter_chunk_s.exact).toBe(true);
    expect(report.tbt_s).toMatchObject({ count: 7, exact: true, p50: 0, max: 0.03 });
    // The p99 in µs (type 7 over 0, 0, 0, 0, 10000, 20000, 30000), then its reciprocal in seconds.
    const p99Us = percentile([0, 0, 0, 0, 10_000, 20_000, 30_000], 0.99)!;
    expect(report.throughput.tbt_based_throughput).toBe(1 / (p99Us / 1e6));
  });

  it('reports an empty run without numbers', () => {
    const report = new RunSummary().report();
    expect(report.requests).toBe(0);
    expect(report.error_rate).toBeNull();
    expect(report.service_level).toEqual({ missed_deadlines: 0, total_deadlines: 0, miss_rate: 0 });
    expect(report.ttft_s.count).toBe(0);
    expect(report.ttft_s.p99).toBeNull();
    expect(report.miss_rate_curve).toBeNull();
  });
});

describe('Analyzer regions', () => {
  it('reports each region as its own summary and the whole run as their merge', () => {
    fc.assert(
      fc.property(inputArb, ({ records, metrics, curve }) => {
        const options = { exactLimit: EXACT, missRateCurve: curve };
        const analyzer = new Analyzer({ deadlines: deadlineOptionsSchema.parse({}), ...options });
        for (const r of records) analyzer.add(r);
        const { deadlines, regions, ...overall } = analyzer.report().summary;
        expect(deadlines.ttft_deadline_source).toBe('fixed');
        expectSameReport(overall, summarise(metrics, options).report());
        const names = [...new Set(records.map((r) => r.region ?? NO_REGION))].sort();
        expect(Object.keys(regions).sort()).toEqual(names);
        for (const name of names) {
          const mine = metrics.filter((m) => (m.region ?? NO_REGION) === name);
          expect(regions[name]).toEqual(summarise(mine, options).report());
        }
      }),
      { numRuns: 30 },
    );
  });
});

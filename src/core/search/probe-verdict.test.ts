import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentileSorted } from '../metrics/percentile.ts';
import { evaluateProbeSlo } from './probe-statistic.ts';
import {
  addCounts,
  classifyRequest,
  countsVerdict,
  createAbortRule,
  emptyCounts,
  errorFailAt,
  percentileFailAtBad,
  percentilePassAtMostBad,
  probeDecision,
} from './probe-verdict.ts';
import { type SearchSlo, searchSloSchema } from './search-protocol.ts';
import { evaluateSlo } from './slo.ts';

const THRESHOLD = 100;
const quantileArb = fc.oneof(
  fc.constantFrom(0, 0.5, 0.9, 0.95, 0.99, 0.999, 1),
  fc.double({ min: 0, max: 1, noNaN: true }),
);

/** n values of which `bad` are above THRESHOLD (some of them +∞ like failed requests). */
const valuesArb = fc
  .record({
    n: fc.integer({ min: 1, max: 80 }),
    q: quantileArb,
    seed: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 80, maxLength: 80 }),
  })
  .chain(({ n, q, seed }) =>
    fc.integer({ min: 0, max: n }).map((bad) => {
      const values = seed
        .slice(0, n)
        .map((u, i) => (i < bad ? (u > 0.8 ? 1e12 : THRESHOLD + 1 + u * 100) : u * THRESHOLD));
      return { n, q, bad, values };
    }),
  );

const p = (values: number[], q: number) => percentileSorted(Float64Array.from(values).sort(), q) as number;

describe('exact percentile thresholds', () => {
  it('worked example: 1000 values at P99 fail from the 11th bad, pass up to 9', () => {
    expect(percentileFailAtBad(1000, 0.99)).toBe(11);
    expect(percentilePassAtMostBad(1000, 0.99)).toBe(9);
  });

  it('never decides a verdict the full type-7 percentile contradicts', () => {
    fc.assert(
      fc.property(valuesArb, ({ n, q, bad, values }) => {
        const stat = p(values, q);
        if (bad >= percentileFailAtBad(n, q)) expect(stat).toBeGreaterThan(THRESHOLD);
        if (bad <= percentilePassAtMostBad(n, q)) expect(stat).toBeLessThanOrEqual(THRESHOLD);
        // at most one bad count is left to the interpolation
        expect(percentileFailAtBad(n, q) - percentilePassAtMostBad(n, q)).toBeGreaterThanOrEqual(1);
        expect(percentileFailAtBad(n, q) - percentilePassAtMostBad(n, q)).toBeLessThanOrEqual(2);
      }),
      { numRuns: 3000 },
    );
  });

  it('an early fail against N planned values holds for any smaller final count', () => {
    fc.assert(
      fc.property(valuesArb, fc.integer({ min: 0, max: 40 }), ({ n, q, bad, values }, extra) => {
        // planned N ≥ n: fewer values arrived than planned (requests without a TPOT, say)
        if (bad >= percentileFailAtBad(n + extra, q)) expect(p(values, q)).toBeGreaterThan(THRESHOLD);
      }),
      { numRuns: 3000 },
    );
  });

  it('error bound: the smallest error count whose rate reaches the bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 1e-6, max: 1, noNaN: true }),
        (n, b) => {
          const e = errorFailAt(n, b);
          if (e <= n) expect(e / n).toBeGreaterThanOrEqual(b);
          if (e > 1) expect((e - 1) / n).toBeLessThan(b);
        },
      ),
    );
    expect(errorFailAt(1000, 0.01)).toBe(10);
  });
});

const slos: SearchSlo[] = [
  searchSloSchema.parse({ type: 'tbt_ttft' }),
  searchSloSchema.parse({ type: 'ttft_tpot' }),
  searchSloSchema.parse({ type: 'deadline', profile_id: 'p1' }),
  searchSloSchema.parse({ type: 'attainment' }),
];
const predictPrefillUs = (tokens: number) => 20 * tokens;

/** Streams of 1–6 tokens with TTFT around 0.1 s and TBT around 0.03 s, some failed. */
const requestArb = fc.record({
  fail: fc.double({ min: 0, max: 1, noNaN: true }),
  promptTokens: fc.integer({ min: 1, max: 8000 }),
  ittUs: fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 6 }),
});

describe('classifyRequest + probeDecision', () => {
  it.each(slos.map((s) => [s.type, s] as const))('%s: agrees with evaluateSlo on ok requests', (_, slo) => {
    fc.assert(
      fc.property(fc.array(requestArb, { minLength: 1, maxLength: 40 }), (reqs) => {
        const rule = createAbortRule({
          slo,
          plannedRequests: reqs.length,
          offeredLoad: 1,
          errorRateBound: 1,
          achievedRateTolerance: 0.05,
          minElapsed_s: 0,
        });
        let counts = emptyCounts();
        for (const r of reqs) {
          counts = addCounts(
            counts,
            classifyRequest(slo, { ...r, ok: true, ttftUs: r.ittUs[0]! }, predictPrefillUs),
          );
        }
        const exact = evaluateSlo(slo, reqs, predictPrefillUs).passed;
        const verdict = countsVerdict(rule, counts);
        if (verdict !== 'interpolate') expect(verdict === 'pass').toBe(exact);
      }),
      { numRuns: 400 },
    );
  });

  it.each(slos.map((s) => [s.type, s] as const))(
    '%s: an early fail never contradicts the final counts',
    (_, slo) => {
      fc.assert(
        fc.property(fc.array(requestArb, { minLength: 1, maxLength: 60 }), (reqs) => {
          const rule = createAbortRule({
            slo,
            plannedRequests: reqs.length,
            offeredLoad: 1,
            errorRateBound: 1,
            achievedRateTolerance: 0.05,
            minElapsed_s: 0,
            maxOutputTokensPerRequest: 6,
          });
          let counts = emptyCounts();
          let decidedAt: number | null = null;
          reqs.forEach((r, i) => {
            const request = { ...r, ok: r.fail > 0.1, ttftUs: r.ittUs[0]! };
            counts = addCounts(counts, classifyRequest(slo, request, predictPrefillUs));
            const d = probeDecision(rule, counts);
            if (d && decidedAt === null && i < reqs.length - 1) {
              expect(d).toEqual({ verdict: 'fail', reason: 'verdict_decided' });
              decidedAt = i;
            }
          });
          if (decidedAt !== null) expect(countsVerdict(rule, counts)).toBe('fail');
        }),
        { numRuns: 400 },
      );
    },
  );

  it('gates: error bound first, achieved rate only after min_elapsed_s', () => {
    const slo = slos[1]!;
    const rule = createAbortRule({
      slo,
      plannedRequests: 100,
      offeredLoad: 10,
      errorRateBound: 0.05,
      achievedRateTolerance: 0.05,
      minElapsed_s: 30,
    });
    const failed = classifyRequest(slo, { ok: false, promptTokens: 10, ttftUs: null, ittUs: [] });
    let counts = emptyCounts();
    for (let i = 0; i < 4; i++) counts = addCounts(counts, failed);
    expect(probeDecision(rule, counts)).toBeNull();
    expect(probeDecision(rule, counts, { elapsed_s: 10, achieved_load: 5 })).toBeNull();
    expect(probeDecision(rule, counts, { elapsed_s: 30, achieved_load: 9.5 })).toBeNull();
    expect(probeDecision(rule, counts, { elapsed_s: 30, achieved_load: 9.4 })).toEqual({
      verdict: 'fail',
      reason: 'achieved_rate',
    });
    counts = addCounts(counts, failed);
    expect(probeDecision(rule, counts)).toEqual({ verdict: 'fail', reason: 'error_bound' });
  });

  it.each(slos.map((s) => [s.type, s] as const))(
    '%s: the exact verdict with failures agrees with the counts whenever they decide',
    (_, slo) => {
      fc.assert(
        fc.property(fc.array(requestArb, { minLength: 1, maxLength: 60 }), (reqs) => {
          const requests = reqs.map((r) => ({ ...r, ok: r.fail > 0.15, ttftUs: r.ittUs[0]! }));
          const rule = createAbortRule({
            slo,
            plannedRequests: reqs.length,
            offeredLoad: 1,
            errorRateBound: 1,
            achievedRateTolerance: 0.05,
            minElapsed_s: 0,
          });
          let counts = emptyCounts();
          for (const r of requests) counts = addCounts(counts, classifyRequest(slo, r, predictPrefillUs));
          const verdict = countsVerdict(rule, counts);
          const exact = evaluateProbeSlo(slo, requests, predictPrefillUs);
          if (verdict !== 'interpolate') expect(exact.passed).toBe(verdict === 'pass');
          if (exact.statistic !== null) expect(Number.isFinite(exact.statistic)).toBe(true);
        }),
        { numRuns: 400 },
      );
    },
  );
});

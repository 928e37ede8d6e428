import { describe, expect, it } from 'vitest';
import { createCapacitySearch, replaySearch } from './capacity-search.ts';
import { fitLogistic, logisticRoot } from './logistic-fit.ts';
import { addCounts, classifyRequest, emptyCounts } from './probe-verdict.ts';
import {
  type ProbeOutcomeInput,
  type SearchResult,
  type SearchSettingsInput,
  searchSloSchema,
} from './search-protocol.ts';
import { type KneeTarget, runKneeProbe, seededRandom } from './synthetic-knee.ts';
import { wilsonInterval } from './wilson-interval.ts';

const sloInput = { type: 'ttft_tpot', ttft_percentile: 0.99, tpot_percentile: 0.5 } as const;
const slo = searchSloSchema.parse(sloInput);
const TOLERANCE = 0.05;

function search(
  settings: Partial<SearchSettingsInput>,
  target: KneeTarget,
  seed: number,
  options: { warmStartLoad?: number } = {},
  abort = true,
): SearchResult {
  const random = seededRandom(seed);
  const s = createCapacitySearch(
    {
      dimension: 'qps',
      slo: sloInput,
      load: { min: 0.5, max: 128 },
      budgets: { max_requests: 100_000 },
      ...settings,
    },
    options,
  );
  for (let guard = 0; guard < 200; guard++) {
    const step = s.next();
    if (step.kind === 'done') return step.result;
    s.record(runKneeProbe(target, slo, step.probe, random, abort));
  }
  throw new Error('search did not finish');
}

/** Capacities spread over [2, 40] QPS, one per seed. */
const capacityOf = (seed: number) => 2 + seededRandom(seed * 7919)() * 38;
const SEEDS = Array.from({ length: 60 }, (_, i) => i + 1);
const contains = (r: SearchResult, c: number, slack = 1) =>
  r.bracket.lo !== null && r.bracket.hi !== null && r.bracket.lo / slack <= c && c <= r.bracket.hi * slack;

describe('model mode on a synthetic knee (binomial noise, seeded)', () => {
  const runs = SEEDS.map((seed) => {
    const target: KneeTarget = {
      capacity: capacityOf(seed),
      allowedFraction: 0.01,
      steepness: 16,
      jitter: 0.03,
    };
    return {
      c: target.capacity,
      cold: search({}, target, seed),
      warm: search({}, target, seed, { warmStartLoad: target.capacity * 1.1 }),
      etalon: search({ mode: 'etalon' }, target, seed, {}, false),
    };
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  it('converges within the tolerance, the bracket at most one tolerance from the true capacity', () => {
    for (const r of runs) {
      expect(r.cold.stop_reason).toBe('converged');
      expect(r.cold.bracket.hi! / r.cold.bracket.lo!).toBeLessThanOrEqual(1 + TOLERANCE);
    }
    const near = runs.filter((r) => contains(r.cold, r.c, 1 + TOLERANCE)).length;
    expect(near / runs.length).toBeGreaterThanOrEqual(0.9);
    expect(
      runs.filter((r) => contains(r.warm, r.c, 1 + TOLERANCE)).length / runs.length,
    ).toBeGreaterThanOrEqual(0.9);
    expect(mean(runs.map((r) => Math.abs(r.cold.root!.load / r.c - 1)))).toBeLessThan(TOLERANCE / 2);
  });

  it('the root interval contains the true capacity in at least 90% of seeds, cold and warm', () => {
    const covers = (r: SearchResult, c: number) => r.root !== null && r.root.lo <= c && c <= r.root.hi;
    expect(runs.filter((r) => covers(r.cold, r.c)).length / runs.length).toBeGreaterThanOrEqual(0.9);
    expect(runs.filter((r) => covers(r.warm, r.c)).length / runs.length).toBeGreaterThanOrEqual(0.9);
    for (const r of runs)
      expect(r.cold.root!.hi / r.cold.root!.lo).toBeGreaterThanOrEqual((1 + TOLERANCE) ** 2 - 1e-9);
  });

  it('spends at most about half of etalon’s requests cold and a third warm', () => {
    const etalon = mean(runs.map((r) => r.etalon.requests_used));
    expect(mean(runs.map((r) => r.cold.requests_used)) / etalon).toBeLessThanOrEqual(0.55);
    expect(mean(runs.map((r) => r.warm.requests_used)) / etalon).toBeLessThanOrEqual(0.35);
  });

  it('brackets the true capacity itself on a sharp knee without jitter', () => {
    const inside = SEEDS.filter((seed) => {
      const target: KneeTarget = { capacity: capacityOf(seed), allowedFraction: 0.01, steepness: 100 };
      return contains(search({}, target, seed, { warmStartLoad: target.capacity }), target.capacity);
    }).length;
    expect(inside / SEEDS.length).toBeGreaterThanOrEqual(0.9);
  });
});

describe('model mode edges', () => {
  it('replays a noisy search from its history: same probes, same result, same next step mid-way', () => {
    const target: KneeTarget = { capacity: 11.3, allowedFraction: 0.01, steepness: 16, jitter: 0.03 };
    const settings: SearchSettingsInput = { dimension: 'qps', slo: sloInput, load: { min: 0.5, max: 128 } };
    const random = seededRandom(42);
    const s = createCapacitySearch(settings, { warmStartLoad: 10 });
    const probes = [];
    for (let step = s.next(); step.kind === 'probe'; step = s.next()) {
      probes.push(step.probe);
      s.record(runKneeProbe(target, slo, step.probe, random));
    }
    const result = s.next();
    expect(replaySearch(settings, { warmStartLoad: 10 }, s.history).next()).toEqual(result);
    for (let k = 0; k < probes.length; k++) {
      expect(replaySearch(settings, { warmStartLoad: 10 }, s.history.slice(0, k)).next()).toEqual({
        kind: 'probe',
        probe: probes[k],
      });
    }
  });

  it('warm start: auto uses the given load, off ignores it, an explicit load wins', () => {
    const first = (settings: Partial<SearchSettingsInput>, warmStartLoad?: number) => {
      const step = createCapacitySearch(
        { dimension: 'qps', slo: sloInput, load: { min: 1, max: 100 }, ...settings },
        warmStartLoad === undefined ? {} : { warmStartLoad },
      ).next();
      return step.kind === 'probe' ? step.probe.load : null;
    };
    expect(first({}, 20)).toBeCloseTo(18, 9);
    expect(first({ warm_start: 'off' }, 20)).toBeCloseTo(10, 9);
    expect(first({ warm_start: { load: 50 } }, 20)).toBeCloseTo(45, 9);
    expect(first({ load: { min: 1, max: 100, start: 7 } })).toBe(7);
  });

  it('concurrency: integer loads, no resolved load probed twice, stops at adjacent integers', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const target: KneeTarget = { capacity: 13.5, allowedFraction: 0.01, steepness: 100 };
      const r = search({ dimension: 'concurrency', load: { min: 1, max: 256 } }, target, seed);
      expect(r.stop_reason).toBe('converged');
      for (const p of r.probes) expect(Number.isInteger(p.offered_load)).toBe(true);
      const originals = r.probes.filter((p) => p.replicate_of === null).map((p) => p.offered_load);
      expect(new Set(originals).size).toBe(originals.length);
      expect(r.bracket).toEqual({ lo: 13, hi: 14 });
    }
  });

  it('ends "no passing load" quickly when every request fails', () => {
    const s = createCapacitySearch({ dimension: 'qps', slo: sloInput, load: { min: 0.5, max: 128 } });
    let result: SearchResult | null = null;
    while (!result) {
      const step = s.next();
      if (step.kind === 'done') {
        result = step.result;
        break;
      }
      let counts = emptyCounts();
      for (let i = 0; i < step.probe.abort.fail_at_errors; i++) {
        counts = addCounts(
          counts,
          classifyRequest(slo, { ok: false, promptTokens: 10, ttftUs: null, ittUs: [] }),
        );
      }
      const outcome: ProbeOutcomeInput = {
        offered_load: step.probe.load,
        achieved_load: null,
        counts,
        elapsed_s: 1,
        aborted: 'error_bound',
      };
      s.record(outcome);
    }
    expect(result.stop_reason).toBe('no_passing_load');
    expect(result.bracket).toEqual({ lo: null, hi: 0.5 });
    expect(result.probes.every((p) => p.reason === 'error_bound')).toBe(true);
    expect(result.requests_used).toBeLessThanOrEqual(10 * result.probes.length);
    expect(result.probes.length).toBeLessThanOrEqual(6);
  });

  it('reports a lower bound only when nothing fails up to load.max', () => {
    const r = search({}, { capacity: 1e6, allowedFraction: 0.01, steepness: 16 }, 1);
    expect(r).toMatchObject({ stop_reason: 'lower_bound_only', lower_bound_only: true, root: null });
    expect(r.bracket).toEqual({ lo: 128, hi: null });
  });

  it('replicates an unresolved probe with its seed before it moves a bound', () => {
    const runs = SEEDS.slice(0, 20).map((seed) =>
      search({}, { capacity: capacityOf(seed), allowedFraction: 0.01, steepness: 16 }, seed),
    );
    const probes = runs.flatMap((r) => r.probes.map((p) => ({ p, next: r.probes[p.index + 1] })));
    const unresolved = probes.filter(({ p }) => !p.resolved && p.replicate_of === null);
    expect(unresolved.length).toBeGreaterThan(0);
    for (const { p, next } of unresolved) {
      if (next?.replicate_of === p.index) expect(next.offered_load).toBe(p.offered_load);
    }
    expect(unresolved.some(({ p, next }) => next?.replicate_of === p.index)).toBe(true);
  });

  it('respects the probe budget', () => {
    const r = search(
      { budgets: { max_probes: 3 } },
      { capacity: 10, allowedFraction: 0.01, steepness: 16 },
      1,
    );
    expect(r.stop_reason).toBe('budget_probes');
    expect(r.probes).toHaveLength(3);
  });
});

describe('statistics', () => {
  it('Wilson interval: known values and coverage of the point estimate', () => {
    const i = wilsonInterval(10, 1000);
    expect(i.lo).toBeCloseTo(0.005441, 5);
    expect(i.hi).toBeCloseTo(0.018309, 5);
    expect(wilsonInterval(0, 1000).lo).toBe(0);
    expect(wilsonInterval(0, 0)).toEqual({ lo: 0, hi: 1 });
    for (let b = 0; b <= 50; b++) {
      const w = wilsonInterval(b, 50);
      expect(w.lo).toBeLessThanOrEqual(b / 50);
      expect(w.hi).toBeGreaterThanOrEqual(b / 50);
    }
  });

  it('logistic fit recovers a known curve and its root; degenerate input gives null', () => {
    const a = -20;
    const c = 6;
    const points = [10, 15, 20, 25, 30].map((load) => {
      const p = 1 / (1 + Math.exp(-(a + c * Math.log(load))));
      return { load, n: 1_000_000, bad: Math.round(p * 1_000_000) };
    });
    const fit = fitLogistic(points)!;
    expect(fit.c).toBeCloseTo(c, 1);
    expect(fit.a).toBeCloseTo(a, 0);
    const truth = Math.exp((Math.log(0.01 / 0.99) - a) / c);
    const root = logisticRoot(fit, 0.01);
    expect(root.load / truth).toBeCloseTo(1, 2);
    expect(root.lo).toBeLessThan(root.load);
    expect(root.hi).toBeGreaterThan(root.load);
    expect(fitLogistic([{ load: 5, n: 100, bad: 3 }])).toBeNull();
    expect(
      fitLogistic([
        { load: 5, n: 100, bad: 50 },
        { load: 10, n: 100, bad: 1 },
      ]),
    ).toBeNull();
  });
});

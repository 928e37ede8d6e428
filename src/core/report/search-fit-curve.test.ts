import { describe, expect, it } from 'vitest';
import { createCapacitySearch } from '../search/capacity-search.ts';
import { type SearchResult, searchSloSchema } from '../search/search-protocol.ts';
import { type KneeTarget, runKneeProbe, seededRandom } from '../search/synthetic-knee.ts';
import { fittedBadFraction, searchFitCurve } from './search-fit-curve.ts';

const sloInput = { type: 'ttft_tpot', ttft_percentile: 0.99, tpot_percentile: 0.5 } as const;
const slo = searchSloSchema.parse(sloInput);

/** A whole model-strategy search against a synthetic knee (binomial noise, seeded). */
function modelSearch(seed: number): SearchResult {
  const random = seededRandom(seed);
  const target: KneeTarget = {
    capacity: 2 + random() * 30,
    allowedFraction: 0.01,
    steepness: 16,
    jitter: 0.03,
  };
  const s = createCapacitySearch({ dimension: 'qps', slo: sloInput, load: { min: 0.5, max: 128 } });
  for (let guard = 0; guard < 200; guard++) {
    const step = s.next();
    if (step.kind === 'done') return step.result;
    s.record(runKneeProbe(target, slo, step.probe, random, true));
  }
  throw new Error('search did not finish');
}

describe('searchFitCurve', () => {
  const results = Array.from({ length: 12 }, (_, i) => modelSearch(i + 1)).filter((r) => r.root !== null);

  it('recomputes the fit the search used: its curve crosses the threshold at the stored root', () => {
    expect(results.length).toBeGreaterThan(6);
    for (const r of results) {
      const out = searchFitCurve(r.probes, r.root, r.bracket);
      if (out.fit === null) throw new Error(out.why);
      const { fit } = out;
      expect(fittedBadFraction(fit, fit.root)).toBeCloseTo(fit.threshold, 9);
      expect(Math.min(r.bracket.hi!, Math.max(r.bracket.lo!, fit.root))).toBeCloseTo(r.root!.load, 9);
      // Increasing in load (c > 0), drawn over every probe and the root, log-spaced.
      expect(fit.c).toBeGreaterThan(0);
      const loads = fit.curve.load;
      expect(loads.length).toBe(fit.curve.bad_fraction.length);
      for (let i = 1; i < loads.length; i++) {
        expect(loads[i]).toBeGreaterThan(loads[i - 1]!);
        expect(fit.curve.bad_fraction[i]).toBeGreaterThanOrEqual(fit.curve.bad_fraction[i - 1]!);
      }
      const probed = r.probes.map((p) => p.offered_load);
      expect(loads[0]).toBeLessThan(Math.min(...probed));
      expect(loads[loads.length - 1]).toBeGreaterThan(Math.max(...probed, r.root!.load));
    }
  });

  it('draws nothing it cannot reproduce: another root, missing counts, or no root', () => {
    const r = results[0]!;
    const moved = searchFitCurve(r.probes, { load: r.root!.load * 1.01 }, r.bracket);
    expect(moved.fit).toBeNull();
    const partial = r.probes.map((p) => ({ ...p, counts: { requests: p.requests } }));
    expect(searchFitCurve(partial, r.root, r.bracket).fit).toBeNull();
    expect(searchFitCurve(r.probes, null, r.bracket)).toEqual({
      fit: null,
      why: expect.stringMatching(/no fitted root/),
    });
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCapacitySearch, parseSearchSettings, replaySearch } from './capacity-search.ts';
import { roundHalfEven2 } from './etalon-strategy.ts';
import { emptyCounts } from './probe-verdict.ts';
import {
  type CapacitySearch,
  type ProbeOutcomeInput,
  type ProbeSpec,
  SEARCH_LIMITS,
  type SearchResult,
  type SearchSettingsInput,
  searchArrivalsSchema,
} from './search-protocol.ts';

interface Trace {
  spec: {
    start_qps: number;
    max_iterations: number;
    min_search_granularity: number;
    passing_qps_rule: Record<string, unknown>;
  };
  probes: { qps: number; under_sla: boolean }[];
  result: { max_qps_under_sla?: number };
}

const vector = JSON.parse(
  readFileSync(
    new URL('../../../../shared/vectors/15_capacity_search_probe_traces.json', import.meta.url),
    'utf8',
  ),
) as { etalon: { capacity_search_traces: Trace[] } };
const traces = vector.etalon.capacity_search_traces;

/** The vector's synthetic SLO oracle; an unknown rule kind fails the test rather than guessing. */
function oracle(rule: Record<string, unknown>): (qps: number) => boolean {
  const keys = Object.keys(rule).sort().join(',');
  if (keys === 'max_passing_qps') return (qps) => qps <= (rule.max_passing_qps as number);
  if (keys === 'cap,failing_qps' || keys === 'failing_qps') {
    const failing = rule.failing_qps as number[];
    const cap = (rule.cap as number | undefined) ?? Number.POSITIVE_INFINITY;
    return (qps) => qps <= cap && !failing.includes(qps);
  }
  throw new Error(`unknown passing_qps_rule ${JSON.stringify(rule)}`);
}

/** A complete probe of `spec.requests` requests whose TTFTs are all good (pass) or all bad (fail). */
function outcome(
  spec: ProbeSpec,
  passed: boolean,
  extra: Partial<ProbeOutcomeInput> = {},
): ProbeOutcomeInput {
  const n = spec.requests;
  return {
    offered_load: spec.load,
    achieved_load: spec.load,
    counts: {
      ...emptyCounts(),
      requests: n,
      ttft_values: n,
      ttft_bad: passed ? 0 : n,
      bad: passed ? 0 : n,
      tpot_values: n,
      output_tokens: 3 * n,
    },
    elapsed_s: 10,
    aborted: null,
    ...extra,
  };
}

function drive(search: CapacitySearch, verdict: (spec: ProbeSpec) => ProbeOutcomeInput): SearchResult {
  for (let guard = 0; guard < 1000; guard++) {
    const step = search.next();
    if (step.kind === 'done') return step.result;
    search.record(verdict(step.probe));
  }
  throw new Error('search did not finish');
}

const base = { dimension: 'qps', slo: { type: 'ttft_tpot' }, probe: { requests: 10 } } as const;
const etalon = (extra: Partial<SearchSettingsInput> = {}): SearchSettingsInput => ({
  ...base,
  mode: 'etalon',
  ...extra,
});

describe('etalon mode reproduces vector 15', () => {
  it('holds traces of every rule kind', () => {
    expect(traces.length).toBeGreaterThanOrEqual(6);
    expect(traces.some((t) => 'failing_qps' in t.spec.passing_qps_rule)).toBe(true);
  });

  // Not in the vector: derived by hand from etalon's loop, to pin which check ended each search.
  const expectedStops = [
    'converged',
    'repeated_probe',
    'converged',
    'repeated_probe',
    'converged',
    'budget_probes',
  ];

  traces.forEach((trace, i) => {
    it(`trace ${i}: ${JSON.stringify(trace.spec)}`, () => {
      const passes = oracle(trace.spec.passing_qps_rule);
      const search = createCapacitySearch(
        etalon({
          load: { start: trace.spec.start_qps },
          budgets: { max_probes: trace.spec.max_iterations },
          etalon_granularity_pct: trace.spec.min_search_granularity,
        }),
      );
      const result = drive(search, (spec) => outcome(spec, passes(spec.load)));
      expect(result.probes.map((p) => ({ qps: p.offered_load, under_sla: p.verdict === 'pass' }))).toEqual(
        trace.probes,
      );
      expect(result.bracket.lo).toBe(trace.result.max_qps_under_sla ?? null);
      expect(result.root).toBeNull();
      if (expectedStops[i]) expect(result.stop_reason).toBe(expectedStops[i]);
    });
  });
});

describe('roundHalfEven2 (Python round(x, 2))', () => {
  it.each([
    [1.875, 1.88],
    [0.125, 0.12],
    [0.375, 0.38],
    [0.625, 0.62],
    [8.125, 8.12],
    [1000000.125, 1000000.12],
    [2.675, 2.67],
    [0.015, 0.01],
    [0.005, 0.01],
    [1.005, 1],
    [22.855, 22.86],
    [12.345, 12.35],
    [0, 0],
  ])('%d → %d', (x, rounded) => {
    expect(roundHalfEven2(x)).toBe(rounded);
  });
});

describe('probe gates', () => {
  it('fails a probe whose achieved load is more than the tolerance below the offered load', () => {
    // the SLO always holds, but the target sustains only 1.6 QPS
    const result = drive(createCapacitySearch(etalon()), (spec) =>
      outcome(spec, true, { achieved_load: Math.min(spec.load, 1.6) }),
    );
    expect(result.probes.slice(0, 4).map((p) => [p.offered_load, p.verdict])).toEqual([
      [1, 'pass'],
      [1.5, 'pass'],
      [1.75, 'fail'],
      [1.62, 'pass'],
    ]);
    expect(result.probes[2]).toMatchObject({ reason: 'achieved_rate', resolved: true, achieved_load: 1.6 });
    expect(result.bracket.lo!).toBeLessThanOrEqual(1.6 / 0.95);
  });

  it('fails a probe at the error bound, decided by the counts', () => {
    const search = createCapacitySearch(etalon({ probe: { requests: 100 }, error_rate_bound: 0.05 }));
    const step = search.next();
    if (step.kind !== 'probe') throw new Error('expected a probe');
    expect(step.probe.abort.fail_at_errors).toBe(5);
    const counts = { ...emptyCounts(), requests: 30, errors: 5, bad: 5, ttft_values: 30, ttft_bad: 5 };
    const report = search.record({ ...outcome(step.probe, true), counts, aborted: 'error_bound' });
    expect(report).toMatchObject({ verdict: 'fail', reason: 'error_bound', requests: 30, errors: 5 });
  });
});

describe('state machine', () => {
  it('repeats the pending probe, checks the outcome and keeps the result once done', () => {
    const search = createCapacitySearch(etalon({ load: { start: 3 }, budgets: { max_probes: 1 } }));
    const step = search.next();
    expect(search.next()).toEqual(step);
    if (step.kind !== 'probe') throw new Error('expected a probe');
    expect(step.probe).toMatchObject({ index: 0, load: 3, replicate_of: null, seed_probe: 0, requests: 10 });
    expect(() => search.record(outcome({ ...step.probe, load: 4 }, true))).toThrow(/pending probe is 3/);
    search.record(outcome(step.probe, true));
    const done = search.next();
    expect(done.kind).toBe('done');
    expect(search.next()).toEqual(done);
    expect(() => search.record(outcome(step.probe, true))).toThrow(/without a pending probe/);
  });

  it('cancel ends with what was learned', () => {
    const search = createCapacitySearch(etalon());
    const step = search.next();
    if (step.kind !== 'probe') throw new Error('expected a probe');
    search.record(outcome(step.probe, true));
    search.next();
    const result = search.cancel();
    expect(result).toMatchObject({
      stop_reason: 'cancelled',
      bracket: { lo: 1, hi: null },
      lower_bound_only: true,
    });
    expect(result.probes).toHaveLength(1);
    expect(search.next()).toEqual({ kind: 'done', result });
  });

  it('stops on each budget before the probe that would exceed it', () => {
    const pass = (spec: ProbeSpec) => outcome(spec, true);
    expect(drive(createCapacitySearch(etalon({ budgets: { max_requests: 35 } })), pass)).toMatchObject({
      stop_reason: 'budget_requests',
      requests_used: 30,
    });
    const tokens = drive(createCapacitySearch(etalon({ budgets: { max_output_tokens: 50 } })), pass);
    expect(tokens).toMatchObject({ stop_reason: 'budget_output_tokens', output_tokens_used: 60 });
    const time = drive(
      createCapacitySearch(etalon({ cooldown_s: 5, budgets: { max_duration_s: 40 } })),
      pass,
    );
    expect(time.stop_reason).toBe('budget_duration');
    expect(time.elapsed_s).toBe(10 + 15 + 15); // probes of 10 s, 5 s cooldown between
  });

  it('replays a history to the same state and next probe', () => {
    const settings = { ...base, load: { min: 0.5, max: 64 } };
    const verdict = (spec: ProbeSpec) => outcome(spec, spec.load <= 7);
    const search = createCapacitySearch(settings);
    const result = drive(search, verdict);
    const replayed = replaySearch(settings, {}, search.history);
    expect(replayed.next()).toEqual({ kind: 'done', result });
    const partial = replaySearch(settings, {}, search.history.slice(0, 3));
    const step = partial.next();
    expect(step.kind === 'probe' && step.probe.load).toBe(result.probes[3]!.offered_load);
    expect(() => replaySearch(settings, {}, [...search.history, search.history[0]!])).toThrow(/history/);
  });
});

describe('regions', () => {
  it('judges each region on its own counts and brackets it', () => {
    const settings = { ...base, load: { min: 0.5, max: 64 } };
    const half = (spec: ProbeSpec, passed: boolean) =>
      outcome({ ...spec, requests: spec.requests / 2 }, passed).counts;
    const result = drive(createCapacitySearch(settings), (spec) => {
      const east = half(spec, spec.load <= 20);
      const west = half(spec, spec.load <= 5);
      const counts = Object.fromEntries(
        Object.keys(east).map((k) => [k, east[k as keyof typeof east] + west[k as keyof typeof west]]),
      ) as typeof east;
      return {
        ...outcome(spec, false),
        counts,
        regions: {
          east: { counts: east, achieved_load: spec.load / 2 },
          west: { counts: west, achieved_load: null },
        },
      };
    });
    const lowest = (name: 'east' | 'west') =>
      Math.min(
        ...result.probes.filter((p) => p.regions[name]!.verdict === 'fail').map((p) => p.offered_load),
      );
    expect(result.regions.west!.bracket.hi).toBe(lowest('west'));
    expect(result.regions.west!.bracket.hi!).toBeGreaterThan(5);
    expect(result.regions.west!.bracket.lo!).toBeLessThanOrEqual(5);
    for (const p of result.probes) {
      expect(p.regions.east).toMatchObject({ requests: 5, verdict: p.offered_load <= 20 ? 'pass' : 'fail' });
      expect(p.verdict).toBe(p.offered_load <= 5 ? 'pass' : 'fail');
    }
    if (result.regions.east!.bracket.hi !== null)
      expect(result.regions.east!.bracket.hi).toBe(lowest('east'));
  });
});

describe('settings', () => {
  it('fills defaults and bounds every field', () => {
    const s = parseSearchSettings({ dimension: 'qps', slo: { type: 'deadline', profile_id: 'p1' } });
    expect(s).toMatchObject({
      mode: 'model',
      arrivals: { type: 'poisson' },
      tolerance: 0.05,
      probe: { requests: 1000, min_duration_s: 0, warmup_requests: 0 },
      warm_start: 'auto',
      achieved_rate_tolerance: 0.05,
      error_rate_bound: 0.01,
      slo: { miss_rate_percentile: 0.99, miss_rate_slo: 0.1 },
    });
    expect(s.budgets.max_probes).toBe(20);
  });

  const messageOf = (input: unknown) => {
    try {
      parseSearchSettings(input);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };

  it('names every bad field', () => {
    const message = messageOf({
      dimension: 'qps',
      slo: { type: 'deadline' },
      tolerance: 0,
      probe: { requests: 5 },
      budgets: { max_probes: 0 },
      load: { max: 1e9 },
    });
    for (const path of ['slo.profile_id', 'tolerance', 'probe.requests', 'budgets.max_probes', 'load.max']) {
      expect(message).toContain(path);
    }
  });

  it('bounds loads and arrivals', () => {
    const ok = { dimension: 'qps', slo: { type: 'ttft_tpot' } };
    expect(messageOf({ ...ok, load: { min: 1, max: SEARCH_LIMITS.max_load } })).toBe('');
    expect(messageOf({ ...ok, load: { min: 1, max: SEARCH_LIMITS.max_load * 2 } })).toContain('load.max');
    expect(messageOf({ ...ok, load: { min: SEARCH_LIMITS.min_load / 2, max: 2 } })).toContain('load.min');
    expect(searchArrivalsSchema.safeParse({ type: 'gamma', cv: 1000 }).success).toBe(false);
    expect(messageOf({ ...ok, arrivals: { type: 'gamma', cv: 0 } })).toContain('arrivals.cv');
  });

  it('checks the load range against itself and the dimension', () => {
    const ok = { dimension: 'concurrency', slo: { type: 'ttft_tpot' } };
    expect(messageOf({ ...ok, load: { min: 8, max: 4 } })).toContain('load.max');
    expect(messageOf({ ...ok, load: { min: 1, max: 64, start: 100 } })).toContain('load.start');
    expect(messageOf({ ...ok, load: { min: 1.5, max: 64 } })).toContain('load.min');
    expect(messageOf({ ...ok, mode: 'etalon' })).toContain('dimension');
    expect(messageOf(ok)).toBe('');
  });
});

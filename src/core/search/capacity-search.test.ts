import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CapacitySearch,
  type CapacitySearchResult,
  createCapacitySearch,
  judgeProbe,
  type ProbeOutcome,
  roundHalfEven2,
} from './capacity-search.ts';
import { parseCapacitySearchConfig } from './capacity-search-config.ts';
import type { SloEvaluation } from './slo.ts';

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

function sloVerdict(passed: boolean): SloEvaluation {
  return {
    passed,
    statistic: passed ? 0.05 : 0.2,
    threshold: 0.1,
    detail: passed ? 'ok' : 'too slow',
    parts: [],
  };
}

/** Drives a search to the end: each probe takes `probe_s` seconds and `probeRequests` requests. */
function drive(
  search: CapacitySearch,
  outcome: (qps: number) => Partial<ProbeOutcome> & { sloPassed: boolean },
  probe_s = 1,
  probeRequests = 100,
): CapacitySearchResult {
  for (let guard = 0; guard < 1000; guard++) {
    const step = search.next();
    if (step.kind === 'done') return step.result;
    const { sloPassed, ...rest } = outcome(step.qps);
    search.record({
      slo: sloVerdict(sloPassed),
      achievedQps: step.qps,
      errorRate: 0,
      elapsed_s: (search.probes.length + 1) * probe_s,
      requestsUsed: (search.probes.length + 1) * probeRequests,
      ...rest,
    });
  }
  throw new Error('search did not finish');
}

function etalonSearch(spec: Trace['spec']): CapacitySearch {
  return createCapacitySearch({
    mode: 'etalon',
    start_qps: spec.start_qps,
    max_probes: spec.max_iterations,
    min_search_granularity_pct: spec.min_search_granularity,
  });
}

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
    'max_probes',
  ];

  traces.forEach((trace, i) => {
    it(`trace ${i}: ${JSON.stringify(trace.spec)}`, () => {
      const passes = oracle(trace.spec.passing_qps_rule);
      const result = drive(etalonSearch(trace.spec), (qps) => ({ sloPassed: passes(qps) }));
      expect(result.probes.map((p) => ({ qps: p.offeredQps, under_sla: p.passed }))).toEqual(trace.probes);
      expect(result.maxQpsUnderSlo).toBe(trace.result.max_qps_under_sla ?? null);
      expect(result.bestProbe?.offeredQps ?? null).toBe(result.maxQpsUnderSlo);
      if (expectedStops[i]) expect(result.stopReason).toBe(expectedStops[i]);
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

describe('fluidbench probe gates', () => {
  const gates = { achieved_rate_tolerance: 0.05, error_rate_bound: 0.01 };
  const ok = { slo: sloVerdict(true), errorRate: 0 };

  it('passes an achieved rate within 5% of the offered rate, boundaries included', () => {
    for (const achievedQps of [2, 1.9, 2.1, 1.95]) {
      expect(judgeProbe(2, { ...ok, achievedQps }, gates)).toEqual({
        passed: true,
        failReasons: [],
        why: '',
      });
    }
  });

  it('fails an achieved rate more than 5% off, either way', () => {
    for (const achievedQps of [1.89, 2.11, 0, Number.NaN]) {
      const verdict = judgeProbe(2, { ...ok, achievedQps }, gates);
      expect(verdict.passed).toBe(false);
      expect(verdict.failReasons).toEqual(['achieved_rate']);
      expect(verdict.why).toContain('offered 2 QPS');
    }
  });

  it('needs the error rate strictly below the bound', () => {
    expect(judgeProbe(2, { ...ok, achievedQps: 2, errorRate: 0.0099 }, gates).passed).toBe(true);
    const atBound = judgeProbe(2, { ...ok, achievedQps: 2, errorRate: 0.01 }, gates);
    expect(atBound.failReasons).toEqual(['error_rate']);
    expect(
      judgeProbe(2, { ...ok, achievedQps: 2, errorRate: 0.2 }, { ...gates, error_rate_bound: 0.5 }).passed,
    ).toBe(true);
  });

  it('lists every reason a probe failed', () => {
    const verdict = judgeProbe(4, { slo: sloVerdict(false), achievedQps: 3, errorRate: 0.5 }, gates);
    expect(verdict.failReasons).toEqual(['slo', 'achieved_rate', 'error_rate']);
    expect(verdict.why).toContain('too slow');
    expect(verdict.why).toContain('error rate 0.5');
  });

  it('treats a gated probe as a failure in the search, even when the SLO held', () => {
    // SLO always holds, but the target can only sustain 1.6 QPS.
    const result = drive(createCapacitySearch({ mode: 'etalon' }), (qps) => ({
      sloPassed: true,
      achievedQps: Math.min(qps, 1.6),
    }));
    expect(result.probes.slice(0, 4).map((p) => [p.offeredQps, p.passed])).toEqual([
      [1, true],
      [1.5, true],
      [1.75, false],
      [1.62, true],
    ]);
    expect(result.probes[2]?.failReasons).toEqual(['achieved_rate']);
    expect(result.probes[2]?.achievedQps).toBe(1.6);
    expect(result.maxQpsUnderSlo).not.toBeNull();
    expect(result.maxQpsUnderSlo!).toBeLessThanOrEqual(1.6 / 0.95);
    expect(result.maxQpsUnderSlo!).toBeGreaterThanOrEqual(1.6);
  });

  it('reports offered and achieved load, SLO statistic and budget usage for every probe', () => {
    const result = drive(createCapacitySearch({ mode: 'etalon', max_probes: 3 }), (qps) => ({
      sloPassed: qps < 1.2,
      achievedQps: qps * 0.99,
      errorRate: 0.001,
    }));
    expect(result.probes).toHaveLength(3);
    const second = result.probes[1]!;
    expect(second).toMatchObject({
      index: 1,
      offeredQps: 1.5,
      achievedQps: 1.5 * 0.99,
      errorRate: 0.001,
      passed: false,
      failReasons: ['slo'],
      elapsed_s: 2,
      requestsUsed: 200,
    });
    expect(second.slo.statistic).toBe(0.2);
    expect(second.why).toContain('SLO not met');
  });
});

describe('stopping', () => {
  const alwaysPass = () => ({ sloPassed: true });

  it('stops after max_probes', () => {
    const result = drive(createCapacitySearch({ mode: 'etalon', max_probes: 4 }), alwaysPass);
    expect(result.stopReason).toBe('max_probes');
    expect(result.probes.map((p) => p.offeredQps)).toEqual([1, 1.5, 1.75, 2.88]);
    expect(result.maxQpsUnderSlo).toBe(2.88);
  });

  it('stops on the time budget once it is used up', () => {
    const search = createCapacitySearch({ mode: 'etalon', time_budget_s: 10 });
    const result = drive(search, alwaysPass, 4);
    expect(result.stopReason).toBe('time_budget');
    expect(result.probes).toHaveLength(3); // 4 s, 8 s (< 10: go on), 12 s (stop)
    expect(result.maxQpsUnderSlo).toBe(1.75);
  });

  it('stops on the request budget once it is used up', () => {
    const search = createCapacitySearch({ mode: 'etalon', request_budget: 500 });
    const result = drive(search, alwaysPass, 1, 250);
    expect(result.stopReason).toBe('request_budget');
    expect(result.probes).toHaveLength(2);
  });

  it('reports convergence, not the budget, when the search ended anyway', () => {
    const trace = traces[4]!; // converges after 7 probes
    const rule = oracle(trace.spec.passing_qps_rule);
    const search = createCapacitySearch({
      mode: 'etalon',
      start_qps: trace.spec.start_qps,
      time_budget_s: trace.probes.length,
      request_budget: trace.probes.length * 100,
    });
    const result = drive(search, (qps) => ({ sloPassed: rule(qps) }));
    expect(result.probes).toHaveLength(trace.probes.length);
    expect(result.stopReason).toBe('converged');
  });

  it('repeats the pending probe until it is recorded and keeps the result once done', () => {
    const search = createCapacitySearch({ mode: 'etalon', start_qps: 3, max_probes: 1 });
    expect(() =>
      search.record({ slo: sloVerdict(true), achievedQps: 3, errorRate: 0, elapsed_s: 1, requestsUsed: 1 }),
    ).toThrow(/without a pending probe/);
    expect(search.next()).toEqual({ kind: 'probe', qps: 3 });
    expect(search.next()).toEqual({ kind: 'probe', qps: 3 });
    search.record({ slo: sloVerdict(true), achievedQps: 3, errorRate: 0, elapsed_s: 1, requestsUsed: 1 });
    const done = search.next();
    expect(done.kind).toBe('done');
    expect(search.next()).toEqual(done);
    expect(() =>
      search.record({ slo: sloVerdict(true), achievedQps: 3, errorRate: 0, elapsed_s: 1, requestsUsed: 1 }),
    ).toThrow();
  });

  it('finds nothing when every probe fails', () => {
    const result = drive(createCapacitySearch({ mode: 'etalon' }), () => ({ sloPassed: true, errorRate: 1 }));
    expect(result.maxQpsUnderSlo).toBeNull();
    expect(result.bestProbe).toBeNull();
    expect(result.probes.every((p) => p.failReasons.includes('error_rate'))).toBe(true);
  });
});

describe('search config', () => {
  it('fills etalon defaults', () => {
    expect(parseCapacitySearchConfig({ mode: 'etalon' })).toEqual({
      mode: 'etalon',
      start_qps: 1,
      max_probes: 20,
      min_search_granularity_pct: 2.5,
      achieved_rate_tolerance: 0.05,
      error_rate_bound: 0.01,
    });
  });

  it('rejects a bad config and lists every issue', () => {
    const bad = {
      mode: 'etalon',
      start_qps: -1,
      max_probes: 2.5,
      min_search_granularity_pct: -1,
      achieved_rate_tolerance: 1,
      error_rate_bound: 0,
      time_budget_s: 0,
      request_budget: 1.5,
      start_qsp: 2,
    };
    let message = '';
    try {
      createCapacitySearch(bad as never);
    } catch (e) {
      message = (e as Error).message;
    }
    for (const key of [
      'start_qps',
      'max_probes',
      'min_search_granularity_pct',
      'achieved_rate_tolerance',
      'error_rate_bound',
      'time_budget_s',
      'request_budget',
      'start_qsp',
    ]) {
      expect(message).toContain(key);
    }
  });

  it('requires a known mode', () => {
    expect(() => parseCapacitySearchConfig({ start_qps: 1 })).toThrow(/invalid capacity search config/);
    expect(() => parseCapacitySearchConfig({ mode: 'smart' })).toThrow(/mode/);
  });
});

import {
  type CapacitySearchConfig,
  type CapacitySearchConfigInput,
  parseCapacitySearchConfig,
} from './capacity-search-config.ts';
import type { SloEvaluation } from './slo.ts';

// Capacity search as a pure state machine: the caller asks `next()` for a load, runs the
// benchmark at it, and hands the outcome to `record()`. No I/O and no clock: elapsed time and
// requests used arrive with each outcome, so the search can be replayed and tested exactly.

export type SearchStopReason =
  | 'converged'
  | 'repeated_probe'
  | 'max_probes'
  | 'time_budget'
  | 'request_budget';
export type FailReason = 'slo' | 'achieved_rate' | 'error_rate';

/** What the caller measured for one probe. Totals are cumulative since the search started. */
export interface ProbeOutcome {
  /** `evaluateSlo` over the probe's successful requests. */
  slo: SloEvaluation;
  /** The QPS that was actually achieved over the probe. */
  achievedQps: number;
  /** Failed / all requests of the probe, in [0, 1]. */
  errorRate: number;
  /** Wall time spent by the whole search so far, this probe included. */
  elapsed_s: number;
  /** Requests sent by the whole search so far, this probe included. */
  requestsUsed: number;
}

/** One probe as reported: offered and achieved load, the SLO verdict, and why it failed. */
export interface ProbeReport {
  index: number;
  offeredQps: number;
  achievedQps: number;
  errorRate: number;
  slo: SloEvaluation;
  passed: boolean;
  failReasons: FailReason[];
  /** Human-readable reasons, empty when the probe passed. */
  why: string;
  elapsed_s: number;
  requestsUsed: number;
}

export interface CapacitySearchResult {
  /** The last passing offered QPS (etalon's answer), null when no probe passed. */
  maxQpsUnderSlo: number | null;
  bestProbe: ProbeReport | null;
  stopReason: SearchStopReason;
  probes: ProbeReport[];
}

export type SearchStep = { kind: 'probe'; qps: number } | { kind: 'done'; result: CapacitySearchResult };

export interface CapacitySearch {
  readonly config: CapacitySearchConfig;
  /** The next load to probe, or the result. Repeats the pending probe until it is recorded. */
  next(): SearchStep;
  /** Records the outcome of the probe `next()` asked for; throws if none is pending. */
  record(outcome: ProbeOutcome): ProbeReport;
  readonly probes: readonly ProbeReport[];
}

/** A search mode proposes loads and learns pass/fail; the driver owns gates, budgets and reports. */
interface SearchStrategy {
  propose(): { kind: 'probe'; qps: number } | { kind: 'stop'; reason: 'converged' | 'repeated_probe' };
  observe(qps: number, passed: boolean): void;
}

/** etalon's upper-bound growth factor and the fraction of the bound that triggers it. */
const QPS_INCREASE_SCALE = 2;
const VICINITY_THRESHOLD = 0.8;
/** etalon's initial "lowest failing QPS": effectively unbounded. */
const NO_FAILURE_QPS = 2 ** 32;
/** Relative slack on the achieved-rate gate, so float noise at the exact boundary does not fail it. */
const RATE_EPSILON = 1e-9;

/**
 * etalon's CapacitySearch.search(), step for step (including float arithmetic and Python's
 * half-even `round(x, 2)`): the checks run in the same order so probe sequences match exactly.
 */
function etalonStrategy(config: Extract<CapacitySearchConfig, { mode: 'etalon' }>): SearchStrategy {
  let left = 0;
  let right = config.start_qps * 2;
  let lastQps = 0;
  let minFailingQps = NO_FAILURE_QPS;
  return {
    propose() {
      if (Math.abs(left - right) < (config.min_search_granularity_pct * lastQps) / 100) {
        return { kind: 'stop', reason: 'converged' };
      }
      const qps = roundHalfEven2((left + right) / 2);
      if (qps === lastQps) return { kind: 'stop', reason: 'repeated_probe' };
      return { kind: 'probe', qps };
    },
    observe(qps, passed) {
      lastQps = qps;
      if (passed) {
        if (qps > VICINITY_THRESHOLD * right) right = Math.min(right * QPS_INCREASE_SCALE, minFailingQps);
        left = qps;
      } else {
        right = qps;
        minFailingQps = Math.min(minFailingQps, qps);
      }
    },
  };
}

/**
 * Python's `round(x, 2)` for x ≥ 0: correctly rounded from the double's exact value, ties to even.
 * `toFixed` also works from the exact value but breaks ties upwards; an exact tie at the hundredths
 * needs x·200 to be an odd integer, i.e. x is an odd multiple of 1/8, and is handled apart.
 */
export function roundHalfEven2(x: number): number {
  if (Number.isInteger(x * 8) && !Number.isInteger(x * 4)) {
    const below = Math.floor(x * 100);
    return (below % 2 === 0 ? below : below + 1) / 100;
  }
  return Number(x.toFixed(2));
}

/** fluidbench's verdict on one probe: the SLO held, the offered load was achieved, few errors. */
export function judgeProbe(
  offeredQps: number,
  outcome: Pick<ProbeOutcome, 'slo' | 'achievedQps' | 'errorRate'>,
  gates: Pick<CapacitySearchConfig, 'achieved_rate_tolerance' | 'error_rate_bound'>,
): { passed: boolean; failReasons: FailReason[]; why: string } {
  const failReasons: FailReason[] = [];
  const why: string[] = [];
  if (!outcome.slo.passed) {
    failReasons.push('slo');
    why.push(`SLO not met: ${outcome.slo.detail}`);
  }
  const allowedQps = gates.achieved_rate_tolerance * offeredQps * (1 + RATE_EPSILON);
  if (!(Math.abs(outcome.achievedQps - offeredQps) <= allowedQps)) {
    failReasons.push('achieved_rate');
    why.push(
      `achieved ${outcome.achievedQps} QPS is not within ${gates.achieved_rate_tolerance * 100}% of the offered ${offeredQps} QPS`,
    );
  }
  if (!(outcome.errorRate < gates.error_rate_bound)) {
    failReasons.push('error_rate');
    why.push(`error rate ${outcome.errorRate} is not below ${gates.error_rate_bound}`);
  }
  return { passed: failReasons.length === 0, failReasons, why: why.join('; ') };
}

/**
 * Starts a search. The config is validated (bad config throws, listing every issue).
 * Stop checks before each probe, in order: max_probes, the mode's own stop (converged,
 * repeated_probe), then the budgets, so a budget is reported only when it cut a probe off.
 */
export function createCapacitySearch(input: CapacitySearchConfigInput): CapacitySearch {
  const config = parseCapacitySearchConfig(input);
  const strategy = etalonStrategy(config);
  const probes: ProbeReport[] = [];
  let pendingQps: number | null = null;
  let done: CapacitySearchResult | null = null;

  const finish = (stopReason: SearchStopReason): SearchStep => {
    let bestProbe: ProbeReport | null = null;
    for (const p of probes) if (p.passed) bestProbe = p;
    done = { maxQpsUnderSlo: bestProbe?.offeredQps ?? null, bestProbe, stopReason, probes: [...probes] };
    return { kind: 'done', result: done };
  };

  return {
    config,
    probes,
    next() {
      if (done) return { kind: 'done', result: done };
      if (pendingQps !== null) return { kind: 'probe', qps: pendingQps };
      if (probes.length >= config.max_probes) return finish('max_probes');
      const proposal = strategy.propose();
      if (proposal.kind === 'stop') return finish(proposal.reason);
      const last = probes.at(-1);
      if (last && config.time_budget_s !== undefined && last.elapsed_s >= config.time_budget_s) {
        return finish('time_budget');
      }
      if (last && config.request_budget !== undefined && last.requestsUsed >= config.request_budget) {
        return finish('request_budget');
      }
      pendingQps = proposal.qps;
      return { kind: 'probe', qps: proposal.qps };
    },
    record(outcome) {
      if (pendingQps === null) throw new Error('record() called without a pending probe: call next() first');
      const offeredQps = pendingQps;
      const verdict = judgeProbe(offeredQps, outcome, config);
      const report: ProbeReport = {
        index: probes.length,
        offeredQps,
        achievedQps: outcome.achievedQps,
        errorRate: outcome.errorRate,
        slo: outcome.slo,
        ...verdict,
        elapsed_s: outcome.elapsed_s,
        requestsUsed: outcome.requestsUsed,
      };
      probes.push(report);
      pendingQps = null;
      strategy.observe(offeredQps, report.passed);
      return report;
    },
  };
}

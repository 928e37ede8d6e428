import { deadlineCounts, missRate } from '../metrics/fluidity.ts';
import { msToUs, sToUs } from '../metrics/units.ts';
import type { PrefillPredictorUs, Slo } from '../search/slo.ts';
import { decodeStepMs } from './capacity-model.ts';
import type { SimConfig } from './sim-config.ts';
import { prefillMs } from './sim-generation.ts';

// The simulator's capacity under an SLO, in closed form, so tests and the search benchmark know
// the true answer. Derivation (every duration below already multiplied by time_scale τ):
//
// Model. A request holds a sequence slot from admission to its last token: prefill p = base +
// per_token·P, then O − 1 decode steps (tokens_per_chunk = 1). With `a` slots held, a step lasts
// step(a) = d·(1 + β·(a − 1)), times knee.slowdown F when a > knee.sequences K. Prefill and every
// step are scaled by an independent uniform factor U in [1 − j, 1 + j]; prefill is not slowed by
// load. Nothing queues while a ≤ max_sequences.
//
// 1. The admissible step. Every SLO statistic is a percentile of values that are (jitter factor) ×
//    (a load-independent TTFT p, or a step). For a percentile q over many i.i.d. factors the
//    statistic's factor tends to u_q = 1 + j·(2q − 1) (the uniform's quantile). So:
//    - tbt_ttft: pooled TBT P_q = step·u_q ≤ D  ⇔  step ≤ s_max = D / u_q; TTFT P_q = p·u_q ≤ T or
//      no load passes.
//    - ttft_tpot (and attainment, whose target plays the percentile): TPOT is the mean of O − 1 factors, which concentrates at 1 (spread j/√(3(O − 1)),
//      the approximation here), so s_max = T_tpot; the TTFT part as above.
//    - deadline: every request sees TTFT p·u_q and a constant step s·u_q; its miss rate is computed with
//      the product's own deadline schedule (fluidity.ts) and s_max is the largest integer-µs step
//      whose rate is ≤ the SLO (the rate never decreases with s, so bisection is exact).
//    The bounds use u = 1 + j (every value at its worst) and u = 1 − j (every value at its best).
// 2. Concurrency (closed loop, n loops, no think time): a = n at every step, so the step is
//    deterministic up to jitter and the capacity is the largest n with step(n) ≤ s_max:
//    n_lin = ⌊1 + (s_max/d − 1)/β⌋ on the linear part (∞ when β = 0 and s_max ≥ d); with a knee,
//    n* = n_lin when n_lin ≤ K, else the same formula with d·F if that still reaches past K,
//    else K. n* is capped by max_sequences.
// 3. QPS, constant arrivals λ: requests are admitted every 1/λ and each holds a slot for
//    S(n) = p + (O − 1)·step(n), so a(t) = the number of arrivals in the last S, i.e. ⌊λS⌋ or
//    ⌈λS⌉ (Little's law, L = λS). No step exceeds s_max iff λ·S(n*) ≤ n*: λ* = n* / S(n*).
//    Exact with β = 0 below the knee (the knee mode); with β > 0 it is conservative by at most
//    S(n*)/S(n* − 1) because a alternates between n* − 1 and n*. Jitter moves S by a relative
//    j·√((p² + (O − 1)·d²)/3)/S (one standard deviation), which blurs the knee by about that much.
// 4. QPS, poisson arrivals: below the knee the slot count is M/G/∞, a ~ Poisson(m = λS); the
//    share of decode steps taken while a > n* is E[a·1{a > n*}]/E[a] = P(Poisson(m) ≥ n*). Asking
//    it to stay ≤ 1 − q gives m*, and λ* = m*/S(n*). Approximate, and an upper bound: it ignores
//    that slow steps lengthen S, so a burst past a sharp knee can tip the batch into collapse. On
//    the knee of the tests (K = 16, F = 3) probes pass below 0.6×, fail above 1.0×, and are mixed
//    between (sim-capacity.test.ts). Constant arrivals or the concurrency dimension are exact.

export type CapacityDimension = 'qps' | 'concurrency';

export interface CapacityWorkload {
  promptTokens: number;
  outputTokens: number;
  /** Open-loop arrivals for the qps dimension (default constant). */
  arrivals?: 'constant' | 'poisson';
}

export interface AnalyticCapacity {
  /** QPS or concurrency at the knee under the SLO (0: no load passes). */
  load: number;
  /** The same with every jittered value at its worst (lo) and at its best (hi). Equal when exact. */
  bounds: { lo: number; hi: number };
  /** n*: active sequences at the capacity. */
  sequences: number;
  /** S(n*): time a request holds its slot at the capacity, ms (time_scale applied). */
  serviceMs: number;
  /**
   * One standard deviation of S(n*) from jitter, relative: j·√((p² + (O − 1)·step²)/3)/S. On the
   * QPS dimension the knee is blurred by about this much (two of it bounds what the tests see).
   */
  serviceJitter: number;
  /** What the value relies on, in words. */
  assumptions: string[];
}

/** The SLO with every duration multiplied by `timeScale` (what a time-scaled simulator must be judged by). */
export function scaleSloDurations(slo: Slo, timeScale: number): Slo {
  switch (slo.type) {
    case 'deadline':
      return { ...slo, ttft_slack_s: slo.ttft_slack_s * timeScale, tbt_slo_s: slo.tbt_slo_s * timeScale };
    case 'tbt_ttft':
      return { ...slo, tbt_slo_s: slo.tbt_slo_s * timeScale, ttft_slo_s: slo.ttft_slo_s * timeScale };
    case 'ttft_tpot':
    case 'attainment':
      return { ...slo, ttft_slo_s: slo.ttft_slo_s * timeScale, tpot_slo_s: slo.tpot_slo_s * timeScale };
  }
}

/** The simulator's exact (un-jittered) prefill as a predictor, for the deadline SLO. */
export function simPrefillPredictorUs(config: SimConfig): PrefillPredictorUs {
  return (promptTokens) => msToUs(prefillMs(config, promptTokens));
}

/** The uniform jitter factor's q-quantile. */
function quantileFactor(jitter: number, q: number): number {
  return 1 + jitter * (2 * q - 1);
}

/** Largest admissible step (ms) under a jitter factor `u`, or 0 when the TTFT part already fails. */
function maxStepMs(
  config: SimConfig,
  slo: Slo,
  work: CapacityWorkload,
  u: (q: number) => number,
  predict: PrefillPredictorUs,
): number {
  const pMs = prefillMs(config, work.promptTokens);
  const msOf = (s: number) => s * 1000;
  switch (slo.type) {
    case 'tbt_ttft':
      if (pMs * u(slo.ttft_percentile) > msOf(slo.ttft_slo_s)) return 0;
      return msOf(slo.tbt_slo_s) / u(slo.tbt_percentile);
    case 'ttft_tpot':
      if (pMs * u(slo.ttft_percentile) > msOf(slo.ttft_slo_s)) return 0;
      return msOf(slo.tpot_slo_s) / u(0.5);
    case 'attainment':
      if (pMs * u(slo.target) > msOf(slo.ttft_slo_s)) return 0;
      return msOf(slo.tpot_slo_s) / u(0.5);
    case 'deadline': {
      const uq = u(slo.miss_rate_percentile);
      const ttftUs = msToUs(pMs * uq);
      const ttftDeadlineUs = Math.max(0, Math.round(predict(work.promptTokens))) + sToUs(slo.ttft_slack_s);
      const tbtUs = sToUs(slo.tbt_slo_s);
      const rateAt = (stepUs: number) => {
        const itt = [ttftUs, ...Array.from({ length: work.outputTokens - 1 }, () => stepUs)];
        return missRate(deadlineCounts(itt, ttftDeadlineUs, tbtUs));
      };
      if (rateAt(1) > slo.miss_rate_slo) return 0;
      let lo = 1; // passes
      let hi = 1;
      while (rateAt(hi) <= slo.miss_rate_slo) {
        lo = hi;
        hi *= 2;
        if (hi > 1e12) return Number.POSITIVE_INFINITY;
      }
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (rateAt(mid) <= slo.miss_rate_slo) lo = mid;
        else hi = mid;
      }
      // The schedule sees steps of s·u; the admissible un-jittered step is s/u.
      return lo / 1000 / uq;
    }
  }
}

/** Relative slack so a threshold met exactly (s_max = step(n) in floats) counts as met. */
const EPS = 1e-9;

/** Largest n in [0, max_sequences] with step(n) ≤ sMaxMs (closed form, section 2). */
export function sequencesAtKnee(config: SimConfig, sMaxMs: number): number {
  const cap = config.capacity;
  const d = config.decode_ms_per_token * config.time_scale;
  const linearMax = (base: number): number => {
    if (base <= 0) return Number.POSITIVE_INFINITY;
    const ratio = (sMaxMs / base) * (1 + EPS);
    if (ratio < 1) return 0;
    return cap.batch_slowdown === 0
      ? Number.POSITIVE_INFINITY
      : Math.floor(1 + (ratio - 1) / cap.batch_slowdown);
  };
  let n = linearMax(d);
  if (cap.knee && n > cap.knee.sequences) {
    const beyond = linearMax(d * cap.knee.slowdown);
    n = Math.max(beyond, cap.knee.sequences);
  }
  return Math.min(n, cap.max_sequences);
}

/** P(Poisson(m) ≥ k), summed from the mode outwards in logs so large m does not underflow. */
function poissonTailAtLeast(m: number, k: number): number {
  if (k <= 0) return 1;
  let term = Math.exp(-m); // P(N = 0)
  let below = 0;
  for (let i = 0; i < k; i++) {
    below += term;
    term *= m / (i + 1);
  }
  return Math.max(0, 1 - below);
}

function sloPercentile(slo: Slo): number {
  switch (slo.type) {
    case 'tbt_ttft':
      return slo.tbt_percentile;
    case 'ttft_tpot':
      return slo.tpot_percentile;
    case 'attainment':
      return slo.target;
    case 'deadline':
      return slo.miss_rate_percentile;
  }
}

/**
 * The simulator's capacity under `slo` along `dimension` (see the derivation above). The SLO's
 * durations are absolute: for a time-scaled simulator pass `scaleSloDurations(slo, time_scale)`.
 * `predictPrefillUs` (deadline SLO) defaults to the simulator's own exact prefill.
 */
export function analyticCapacity(
  config: SimConfig,
  slo: Slo,
  dimension: CapacityDimension,
  work: CapacityWorkload,
  predictPrefillUs: PrefillPredictorUs = simPrefillPredictorUs(config),
): AnalyticCapacity {
  const j = config.jitter;
  const assumptions = [
    'tokens_per_chunk = 1, no stalls, no injected faults',
    'every request has the given prompt and output lengths',
    'the load stays within max_sequences (nothing queues)',
  ];
  const d = config.decode_ms_per_token * config.time_scale;
  const p = prefillMs(config, work.promptTokens);
  const serviceMs = (n: number) => p + (work.outputTokens - 1) * decodeStepMs(config.capacity, d, n);
  const at = (n: number) => {
    const step = decodeStepMs(config.capacity, d, Math.max(1, n));
    const sMs = serviceMs(Math.max(1, n));
    const serviceJitter = (j * Math.sqrt((p * p + (work.outputTokens - 1) * step * step) / 3)) / sMs;
    return { sequences: n, serviceMs: sMs, serviceJitter, assumptions };
  };
  const nominal = sequencesAtKnee(
    config,
    maxStepMs(config, slo, work, (q) => quantileFactor(j, q), predictPrefillUs),
  );
  const worst = sequencesAtKnee(
    config,
    maxStepMs(config, slo, work, () => 1 + j, predictPrefillUs),
  );
  const best = sequencesAtKnee(
    config,
    maxStepMs(config, slo, work, () => 1 - j, predictPrefillUs),
  );
  if (slo.type === 'ttft_tpot' || slo.type === 'attainment')
    assumptions.push('TPOT, a mean of O − 1 jittered steps, is taken at its mean');
  if (slo.type === 'deadline') assumptions.push('deadline miss rate of a stream at a constant step');
  if (dimension === 'concurrency') {
    return { load: nominal, bounds: { lo: worst, hi: best }, ...at(nominal) };
  }
  const qps = (n: number) => (n === 0 ? 0 : (n * 1000) / serviceMs(n));
  if ((work.arrivals ?? 'constant') === 'constant') {
    assumptions.push('constant arrivals: λ* = n*/S(n*) (Little’s law at the knee)');
    if (config.capacity.batch_slowdown > 0) assumptions.push('β > 0: conservative by up to S(n*)/S(n* − 1)');
    return { load: qps(nominal), bounds: { lo: qps(worst), hi: qps(best) }, ...at(nominal) };
  }
  assumptions.push('poisson arrivals: M/G/∞ occupancy below the knee, share of slow steps ≤ 1 − percentile');
  const tail = 1 - sloPercentile(slo);
  const poissonQps = (n: number) => {
    if (n === 0) return 0;
    let lo = 0;
    let hi = n;
    for (let i = 0; i < 60; i++) {
      const m = (lo + hi) / 2;
      if (poissonTailAtLeast(m, n) <= tail) lo = m;
      else hi = m;
    }
    return (lo * 1000) / serviceMs(n);
  };
  return {
    load: poissonQps(nominal),
    bounds: { lo: poissonQps(worst), hi: poissonQps(best) },
    ...at(nominal),
  };
}

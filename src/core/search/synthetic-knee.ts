import { evaluateProbeSlo } from './probe-statistic.ts';
import { addCounts, classifyRequest, emptyCounts, probeDecision } from './probe-verdict.ts';
import type { ClassifiedRequest, ProbeOutcomeInput, ProbeSpec, SearchSlo } from './search-protocol.ts';

// A synthetic target for search tests and benchmarks: each request is bad (TTFT over its SLO) with
// a probability that rises as a logistic curve in log-load, crossing the SLO's allowed bad fraction
// exactly at `capacity`. Randomness is passed in, so runs are reproducible.

export interface KneeTarget {
  /** Load where the bad probability equals `allowedFraction`. */
  capacity: number;
  /** The SLO's allowed bad fraction (1 − quantile). */
  allowedFraction: number;
  /** Slope of logit(bad probability) per unit of ln(load). */
  steepness: number;
  /** σ of a lognormal per-probe shift of the capacity (0: none). */
  jitter?: number;
}

/** Probability that one request is bad at `load`. */
export function kneeBadProbability(t: KneeTarget, load: number, capacity = t.capacity): number {
  const logit =
    Math.log(t.allowedFraction / (1 - t.allowedFraction)) + t.steepness * Math.log(load / capacity);
  return 1 / (1 + Math.exp(-logit));
}

const GOOD_TTFT_US = 50_000;
const BAD_TTFT_US = 5_000_000;
const TBT_US = 10_000;

/**
 * Runs one probe against the knee: measured requests one by one through classifyRequest and
 * probeDecision, ending early when the verdict is decided (unless `abort` is false, like etalon).
 * The SLO must judge TTFT (`ttft_tpot` or `attainment`); every TPOT is good.
 */
export function runKneeProbe(
  t: KneeTarget,
  slo: SearchSlo,
  spec: ProbeSpec,
  random: () => number,
  abort = true,
): ProbeOutcomeInput {
  let capacity = t.capacity;
  if (t.jitter) capacity *= Math.exp(t.jitter * gaussian(random));
  const p = kneeBadProbability(t, spec.load, capacity);
  let counts = emptyCounts();
  const requests: ClassifiedRequest[] = [];
  let aborted: 'verdict_decided' | null = null;
  for (let i = 0; i < spec.requests; i++) {
    const ttft = random() < p ? BAD_TTFT_US : GOOD_TTFT_US;
    const ittUs = [ttft, TBT_US, TBT_US];
    const request = { ok: true, promptTokens: 100, ttftUs: ttft, ittUs };
    requests.push(request);
    counts = addCounts(counts, classifyRequest(slo, request));
    const decision = probeDecision(spec.abort, counts);
    if (abort && decision && i < spec.requests - 1) {
      aborted = 'verdict_decided';
      break;
    }
  }
  const evaluation = aborted ? null : evaluateProbeSlo(slo, requests);
  return {
    offered_load: spec.load,
    achieved_load: spec.load,
    counts,
    elapsed_s: counts.requests / Math.max(spec.load, 1e-9),
    statistic: evaluation?.statistic ?? null,
    slo_passed: evaluation?.passed ?? null,
    aborted,
  };
}

/** A standard normal draw (Box–Muller) from the given uniform source. */
function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A small seeded uniform generator (mulberry32), for reproducible tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

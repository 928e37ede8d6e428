import { usToS } from './units.ts';

// Token-rate figures (docs/metrics.md#throughputs), tokens per second. Null when the input is missing or zero.

/** 1 / mean(TPOT): requests with fewer than 2 tokens have no TPOT and are left out upstream. */
export function tpotBasedThroughput(meanTpotUs: number | null): number | null {
  return reciprocalPerS(meanTpotUs);
}

/** 1 / P99 of every TBT value (zeros from multi-token reads included). */
export function tbtBasedThroughput(p99TbtUs: number | null): number | null {
  return reciprocalPerS(p99TbtUs);
}

/**
 * Fluid token generation rate: 1 / P99 over requests (≥ 2 tokens) of the minimum decode-only TBT
 * deadline that keeps the request's miss rate within the target — the highest token rate at which
 * 99% of requests stay fluid.
 */
export function fluidTokenGenerationRate(p99DecodeOnlyMinDeadlineUs: number | null): number | null {
  return reciprocalPerS(p99DecodeOnlyMinDeadlineUs);
}

function reciprocalPerS(us: number | null): number | null {
  return us === null || !(us > 0) ? null : 1 / usToS(us);
}

import { deadlineCounts, missRate } from './fluidity.ts';

/** Target TBT deadlines of the "TBT acceptance" curve (docs/metrics.md#miss-rate-curve): 1 ms to 100 ms in 1 ms steps. */
export const CURVE_TBT_DEADLINES_MS: readonly number[] = Array.from({ length: 100 }, (_, i) => i + 1);

/**
 * Decode-only miss rate of one request at every curve deadline. Past the largest decode gap every
 * deadline is met, so the remaining entries are 0 without simulating them.
 */
export function decodeOnlyMissRates(ittUs: ArrayLike<number>): Float64Array {
  const rates = new Float64Array(CURVE_TBT_DEADLINES_MS.length);
  let maxGapUs = 0;
  for (let i = 1; i < ittUs.length; i++) maxGapUs = Math.max(maxGapUs, ittUs[i]!);
  for (let k = 0; k < rates.length; k++) {
    const deadlineUs = CURVE_TBT_DEADLINES_MS[k]! * 1000;
    if (deadlineUs >= maxGapUs) break;
    rates[k] = missRate(deadlineCounts(ittUs, 0, deadlineUs, true));
  }
  return rates;
}

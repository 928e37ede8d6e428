import { floorDiv } from './units.ts';

/** Deadlines met and missed by one request's token stream (docs/metrics.md#fluidity-index). Integers. */
export interface DeadlineCounts {
  missed: number;
  total: number;
}

/**
 * etalon's deadline-based schedule in exact integer µs. The first token is due `ttftDeadlineUs`
 * after the send, each later one `tbtDeadlineUs` after the previous deadline; early tokens bank
 * slack without a cap; a late token is charged every deadline it overran and the schedule restarts
 * from its arrival. With `skipFirst` the first token is ignored (decode-only view).
 */
export function deadlineCounts(
  ittUs: ArrayLike<number>,
  ttftDeadlineUs: number,
  tbtDeadlineUs: number,
  skipFirst = false,
): DeadlineCounts {
  if (!(tbtDeadlineUs > 0)) throw new RangeError(`tbt deadline must be > 0 µs, got ${tbtDeadlineUs}`);
  return runSchedule(ittUs, ttftDeadlineUs, tbtDeadlineUs, skipFirst, Number.POSITIVE_INFINITY)!;
}

/**
 * The deadlines each token overran under the same schedule as `deadlineCounts` (0: met), one entry
 * per token of `ittUs`: what a timeline colours token by token.
 */
export function deadlineMissesPerToken(
  ittUs: ArrayLike<number>,
  ttftDeadlineUs: number,
  tbtDeadlineUs: number,
): number[] {
  if (!(tbtDeadlineUs > 0)) throw new RangeError(`tbt deadline must be > 0 µs, got ${tbtDeadlineUs}`);
  const overranPerToken = new Array<number>(ittUs.length).fill(0);
  runSchedule(ittUs, ttftDeadlineUs, tbtDeadlineUs, false, Number.POSITIVE_INFINITY, overranPerToken);
  return overranPerToken;
}

/** missed / total, and 0 when there was no deadline at all. */
export function missRate(counts: DeadlineCounts): number {
  return counts.total === 0 ? 0 : counts.missed / counts.total;
}

/**
 * The smallest integer TBT deadline (µs, ≥ 1) whose miss rate is ≤ `targetMissRate`
 * (docs/metrics.md#minimum-tbt-deadline),
 * or null when no deadline reaches it (a late first token on a very short request). The miss rate
 * does not increase with the deadline, so integer bisection finds the exact minimum.
 */
export function minTbtDeadlineUs(
  ittUs: ArrayLike<number>,
  ttftDeadlineUs: number,
  targetMissRate: number,
  skipFirst = false,
): number | null {
  const meets = (d: number) => {
    const counts = runSchedule(ittUs, ttftDeadlineUs, d, skipFirst, targetMissRate);
    return counts !== null && missRate(counts) <= targetMissRate;
  };
  // Past the largest decode gap every later token meets its deadline; past the first token's
  // overrun it is charged a single miss. There the miss rate is at its floor.
  let hi = 1;
  for (let i = 1; i < ittUs.length; i++) hi = Math.max(hi, ittUs[i] as number);
  if (!skipFirst && ittUs.length > 0) hi = Math.max(hi, (ittUs[0] as number) - ttftDeadlineUs + 1);
  if (!meets(hi)) return null;
  let lo = 1;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (meets(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The deadline schedule; returns null as soon as the miss rate can no longer end at or below
 * `abandonAboveRate`. Misses add to both counts and a met token adds 1 to the total, so
 * missed / (total + tokens left) is a lower bound of the final rate.
 */
function runSchedule(
  ittUs: ArrayLike<number>,
  ttftDeadlineUs: number,
  tbtDeadlineUs: number,
  skipFirst: boolean,
  abandonAboveRate: number,
  /** When given, receives each late token's overrun count at its index. */
  overranPerToken?: number[],
): DeadlineCounts | null {
  let slack = 0;
  let missed = 0;
  let total = 0;
  const n = ittUs.length;
  for (let i = 0; i < n; i++) {
    const gap = ittUs[i] as number;
    let overran: number;
    if (i === 0) {
      if (skipFirst) continue;
      if (gap <= ttftDeadlineUs) {
        slack += ttftDeadlineUs - gap;
        total += 1;
        continue;
      }
      overran = 1 + floorDiv(gap - ttftDeadlineUs, tbtDeadlineUs);
    } else {
      if (gap <= tbtDeadlineUs + slack) {
        slack += tbtDeadlineUs - gap;
        total += 1;
        continue;
      }
      overran = floorDiv(gap - slack, tbtDeadlineUs);
    }
    missed += overran;
    total += overran;
    slack = 0;
    if (overranPerToken) overranPerToken[i] = overran;
    if (missed / (total + n - 1 - i) > abandonAboveRate) return null;
  }
  return { missed, total };
}

// Every duration inside the metrics core is an integer number of microseconds (`…Us`), so deadline
// arithmetic is exact. Reported values carry their unit in their name (`_s`, `_ms`).

/** Interchange offsets are milliseconds, converted with Math.round(ms * 1000) (docs/metrics.md#units). */
export function msToUs(ms: number): number {
  return Math.round(ms * 1000);
}

/** Seconds (options such as deadlines) to integer microseconds. */
export function sToUs(s: number): number {
  return Math.round(s * 1_000_000);
}

export function usToS(us: number): number {
  return us / 1_000_000;
}

/**
 * floor(a / b) for non-negative safe integers, exact: a float quotient can round up to the next
 * integer when a / b lies just below it, so the result is corrected with exact integer products.
 */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

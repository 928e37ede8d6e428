// Periodic work on a fixed cadence: ticks at origin + phase + k·period, whatever each tick took.
// A loop that sleeps a whole period after its work drifts by that work every round, so two loops
// started together (a shard's heartbeat and its D1 flush, both every 2 s) keep running in the same
// millisecond — locally, where every object shares one thread, their costs then add up into one
// stall of the read loop's timestamps. On fixed cadences with different phases they never meet.

/**
 * Milliseconds from `nowMs` to the next tick (origin + phase + k·period, k ≥ 0) strictly after
 * `nowMs`; ticks already missed are skipped, never run back to back. `periodMs` > 0.
 */
export function msToNextTick(nowMs: number, originMs: number, periodMs: number, phaseMs = 0): number {
  if (!(periodMs > 0)) throw new RangeError(`period must be > 0 ms, got ${periodMs}`);
  const first = originMs + phaseMs;
  if (nowMs < first) return first - nowMs;
  const k = Math.floor((nowMs - first) / periodMs) + 1;
  return first + k * periodMs - nowMs;
}

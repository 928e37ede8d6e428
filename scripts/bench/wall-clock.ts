// A sub-millisecond wall clock for the timing bench. `performance.timeOrigin + performance.now()`
// drifts from the system clock over minutes (NTP slews the wall clock, not the monotonic one), and
// workerd and Python stamp with the wall clock: comparing them against a drifting clock showed a
// few ms of false error. This one is the monotonic clock plus an offset to `Date.now()`, kept as
// the largest `Date.now() − performance.now()` seen over the last ~10 s (Date.now truncates to
// whole ms, so the largest difference is the closest to the true offset).

const samples: number[] = [];
let offset = Date.now() - performance.now();
let lastSampleAt = Number.NEGATIVE_INFINITY;

export function wallNowMs(): number {
  const mono = performance.now();
  if (mono - lastSampleAt >= 100) {
    lastSampleAt = mono;
    samples.push(Date.now() - mono);
    if (samples.length > 100) samples.shift();
    offset = Math.max(...samples);
  }
  return offset + mono;
}

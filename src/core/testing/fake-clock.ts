// The one fake clock of the tests: `nowMs` and an abortable `sleep`, as core code takes them
// (e.g. StreamRequestInput, the simulator, the shard loop's options). Sleeps resolve in time order;
// time jumps to the next sleeper once the process is idle, so timings are exact and tests take no
// wall time. `stepMs` makes every reading advance the clock (distinct, increasing timestamps).

export interface FakeClock {
  /** The clock's time; with `stepMs`, each reading also advances it by that much. */
  nowMs(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

interface Timer {
  at: number;
  resolve: () => void;
}

/**
 * Sleeps resolve in time order; time advances only when every microtask has run (two macrotask
 * turns after the last activity), so everything due at one instant happens at that instant.
 */
export function createFakeClock(options: { startMs?: number; stepMs?: number } = {}): FakeClock {
  let now = options.startMs ?? 1_000_000;
  const stepMs = options.stepMs ?? 0;
  const timers: Timer[] = [];
  let scheduled = false;

  function fire(): void {
    scheduled = false;
    if (timers.length === 0) return;
    timers.sort((a, b) => a.at - b.at);
    now = Math.max(now, timers[0]?.at ?? now);
    while (timers.length > 0 && (timers[0]?.at ?? Infinity) <= now) timers.shift()?.resolve();
    schedule();
  }
  function schedule(): void {
    if (scheduled || timers.length === 0) return;
    scheduled = true;
    setImmediate(() => setImmediate(fire));
  }

  return {
    nowMs: () => {
      now += stepMs;
      return now;
    },
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const timer: Timer = {
          at: now + Math.max(0, ms),
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          const i = timers.indexOf(timer);
          if (i >= 0) timers.splice(i, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
        schedule();
      });
    },
  };
}

import { afterEach, describe, expect, it, vi } from 'vitest';
import { abortableSleep } from '../run/abortable-sleep.ts';
import { limitsSchema } from '../run/run-config.ts';
import {
  describeStop,
  runShardLoop,
  type ShardLoopOptions,
  type ShardStopReason,
  withPositions,
} from './shard-loop.ts';
import type { PlannedRequest } from './shard-plan.ts';

/** Drains every pending microtask (the fake clock never uses macrotasks). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A fake clock: `sleep` advances it, firing the timers (send completions) it passes on the way. */
class FakeClock {
  now = 1_000_000;
  readonly #timers: { at: number; fire: () => void }[] = [];
  readonly sleeps: { from: number; ms: number }[] = [];

  nowMs = () => this.now;

  at(at: number, fire: () => void): void {
    this.#timers.push({ at, fire });
  }

  /** Moves to `until`, firing due timers in time order; stops early if `stop()` turns true. */
  advanceTo(until: number, stop: () => boolean = () => false): void {
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers[0];
      if (next === undefined || next.at > until) break;
      this.#timers.shift();
      this.now = Math.max(this.now, next.at);
      next.fire();
      if (stop()) return;
    }
    if (Number.isFinite(until)) this.now = Math.max(this.now, until);
  }

  /** Fires every pending timer (ending all timed sends). */
  runAll(): void {
    this.advanceTo(Number.POSITIVE_INFINITY);
  }

  sleep = async (ms: number, signal: AbortSignal): Promise<void> => {
    this.sleeps.push({ from: this.now, ms });
    this.advanceTo(this.now + ms, () => signal.aborted);
  };
}

function planned(offsetsMs: (number | null)[]): PlannedRequest[] {
  return offsetsMs.map((ms, seq) => ({
    seq,
    offsetUs: ms === null ? null : ms * 1000,
    promptTokens: 10,
    outputTokens: 5,
    warmup: false,
  }));
}

interface Sent {
  seq: number;
  atMs: number;
  scheduledAtMs: number | undefined;
  preparedAtMs: number;
}

/** Sends that last `durationMs` on the fake clock (or never end on their own when null). */
function harness(clock: FakeClock, durationMs: number | null) {
  const sent: Sent[] = [];
  const prepared: number[] = [];
  const manual: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const prepare = (request: PlannedRequest) => {
    prepared.push(request.seq);
    const preparedAtMs = clock.now;
    return (scheduledAtMs: number | undefined) => {
      sent.push({ seq: request.seq, atMs: clock.now, scheduledAtMs, preparedAtMs });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<void>((resolve) => {
        const end = () => {
          inFlight--;
          resolve();
        };
        if (durationMs === null) manual.push(end);
        else clock.at(clock.now + durationMs, end);
      });
    };
  };
  return {
    sent,
    prepared,
    prepare,
    /** Ends the oldest manually held send. */
    finishOldest: () => manual.shift()?.(),
    finishAll: () => {
      for (const end of manual.splice(0)) end();
    },
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
  };
}

function openLoop(
  clock: FakeClock,
  h: ReturnType<typeof harness>,
  requests: Iterable<PlannedRequest>,
  overrides: Partial<ShardLoopOptions> = {},
) {
  let returned = false;
  const promise = runShardLoop({
    requests: requests[Symbol.iterator](),
    startAtMs: clock.now + 50,
    concurrency: null,
    dispatchUntilMs: Number.POSITIVE_INFINITY,
    untilReason: 'slice_end',
    maxInFlight: 1000,
    nowMs: clock.nowMs,
    sleep: clock.sleep,
    signal: new AbortController().signal,
    prepare: h.prepare,
    ...overrides,
  }).then((result) => {
    returned = true;
    return result;
  });
  return { promise, returned: () => returned };
}

describe('runShardLoop, open loop', () => {
  it('sends each request at its scheduled time even while earlier ones are still running', async () => {
    const clock = new FakeClock();
    const h = harness(clock, 1000);
    const startAtMs = clock.now + 50;
    const run = openLoop(clock, h, planned([0, 100, 200, 300, 400]), { startAtMs });
    await settle();
    expect(h.sent.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4]);
    h.sent.forEach((s, i) => {
      expect(s.atMs).toBeCloseTo(startAtMs + i * 100, 6);
      expect(s.scheduledAtMs).toBeCloseTo(startAtMs + i * 100, 6);
    });
    expect(h.inFlight()).toBe(5);
    // Every send is still open: the loop must not return before they end.
    expect(run.returned()).toBe(false);
    clock.runAll();
    await settle();
    expect(run.returned()).toBe(true);
    expect(await run.promise).toEqual({ stop: 'completed', dispatched: 5 });
  });

  it('maps sub-millisecond offsets onto startAtMs and sends late requests without waiting', async () => {
    const clock = new FakeClock();
    const h = harness(clock, 1);
    // The schedule started 10 ms ago: the first request is already late and goes at once.
    const startAtMs = clock.now - 10;
    const run = openLoop(clock, h, planned([0, 12.345]), { startAtMs });
    await settle();
    expect(h.sent[0]?.atMs).toBe(startAtMs + 10);
    expect(h.sent[0]?.scheduledAtMs).toBe(startAtMs);
    expect(h.sent[1]?.atMs).toBeCloseTo(startAtMs + 12.345, 6);
    expect(clock.sleeps).toHaveLength(1);
    clock.runAll();
    expect(await run.promise).toEqual({ stop: 'completed', dispatched: 2 });
  });

  it('builds each request before waiting for its time', async () => {
    const clock = new FakeClock();
    const h = harness(clock, 10);
    const startAtMs = clock.now + 50;
    const run = openLoop(clock, h, planned([0, 100, 200]), { startAtMs });
    await settle();
    clock.runAll();
    await run.promise;
    expect(h.sent).toHaveLength(3);
    for (const s of h.sent) {
      expect(s.preparedAtMs).toBeLessThan(s.atMs);
      expect(s.atMs).toBeCloseTo(s.scheduledAtMs ?? Number.NaN, 6);
    }
  });

  it('stops with untilReason when the next scheduled time reaches dispatchUntilMs', async () => {
    for (const [untilOffset, reason, expected] of [
      [350, 'slice_end', 4],
      [300, 'duration_reached', 3], // a request exactly at the end is not sent
      [0, 'limit_max_duration', 0],
    ] as const) {
      const clock = new FakeClock();
      const h = harness(clock, 1);
      const startAtMs = clock.now + 50;
      const run = openLoop(clock, h, planned([0, 100, 200, 300, 400, 500]), {
        startAtMs,
        dispatchUntilMs: startAtMs + untilOffset,
        untilReason: reason,
      });
      await settle();
      clock.runAll();
      expect(await run.promise).toEqual({ stop: reason, dispatched: expected });
      expect(h.sent).toHaveLength(expected);
      for (const s of h.sent) expect(s.atMs).toBeLessThan(startAtMs + untilOffset);
    }
  });

  it('stops with limit_max_concurrency rather than exceed maxInFlight', async () => {
    const clock = new FakeClock();
    const h = harness(clock, 10_000);
    const run = openLoop(clock, h, planned([0, 100, 200, 300, 400]), { maxInFlight: 2 });
    await settle();
    expect(h.sent).toHaveLength(2);
    expect(run.returned()).toBe(false);
    clock.runAll();
    expect(await run.promise).toEqual({ stop: 'limit_max_concurrency', dispatched: 2 });
    expect(h.maxInFlight()).toBe(2);
  });

  // Bug: the in-flight check runs before the wait, with the count at the previous dispatch; requests
  // that end during the wait still count, so the loop stops though the cap would never be exceeded.
  it('counts requests in flight at the scheduled time, not before the wait', async () => {
    const clock = new FakeClock();
    const h = harness(clock, 50); // each request ends 50 ms after it is sent
    const run = openLoop(clock, h, planned([0, 100, 200]), { maxInFlight: 1 });
    await settle();
    clock.runAll();
    expect(await run.promise).toEqual({ stop: 'completed', dispatched: 3 });
  });

  it('an already aborted signal dispatches nothing', async () => {
    const clock = new FakeClock();
    const h = harness(clock, 1);
    const controller = new AbortController();
    controller.abort();
    const run = openLoop(clock, h, planned([0, 1]), { signal: controller.signal });
    expect(await run.promise).toEqual({ stop: 'cancelled', dispatched: 0 });
    expect(h.prepared).toEqual([]);
  });

  it('abort stops dispatching: no request is sent after it, and in-flight ones are awaited', async () => {
    const clock = new FakeClock();
    const h = harness(clock, 1000);
    const controller = new AbortController();
    const startAtMs = clock.now + 50;
    clock.at(startAtMs + 150, () => controller.abort()); // during the wait for the third request
    const run = openLoop(clock, h, planned([0, 100, 200, 300, 400]), {
      startAtMs,
      signal: controller.signal,
    });
    await settle();
    expect(h.sent.map((s) => s.seq)).toEqual([0, 1]);
    expect(h.prepared).toEqual([0, 1, 2]); // the third was built, then its wait was cut short
    expect(run.returned()).toBe(false);
    clock.runAll();
    expect(await run.promise).toEqual({ stop: 'cancelled', dispatched: 2 });
    expect(h.sent).toHaveLength(2);
  });

  it('abort from inside a send stops the next dispatch', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const h = harness(clock, 5);
    const prepare = (request: PlannedRequest) => {
      const send = h.prepare(request);
      return (scheduledAtMs: number | undefined) => {
        if (request.seq === 2) controller.abort();
        return send(scheduledAtMs);
      };
    };
    const run = openLoop(clock, h, planned([0, 0, 0, 0, 0]), { signal: controller.signal, prepare });
    await settle();
    clock.runAll();
    expect(await run.promise).toEqual({ stop: 'cancelled', dispatched: 3 });
  });
});

describe('runShardLoop, closed loop', () => {
  function closedLoop(
    clock: FakeClock,
    h: ReturnType<typeof harness>,
    requests: Iterator<PlannedRequest>,
    overrides: Partial<ShardLoopOptions> = {},
  ) {
    let returned = false;
    const promise = runShardLoop({
      requests,
      startAtMs: clock.now,
      concurrency: 3,
      dispatchUntilMs: Number.POSITIVE_INFINITY,
      untilReason: 'duration_reached',
      maxInFlight: 1,
      nowMs: clock.nowMs,
      sleep: clock.sleep,
      signal: new AbortController().signal,
      prepare: h.prepare,
      ...overrides,
    }).then((result) => {
      returned = true;
      return result;
    });
    return { promise, returned: () => returned };
  }

  function* endless(): Generator<PlannedRequest> {
    for (let seq = 0; ; seq++) yield { seq, offsetUs: null, promptTokens: 1, outputTokens: 1, warmup: false };
  }

  it('keeps exactly `concurrency` in flight and stops when the requests run out', async () => {
    const clock = new FakeClock();
    const h = harness(clock, null);
    const run = closedLoop(clock, h, planned(Array(10).fill(null)).values());
    await settle();
    expect(h.inFlight()).toBe(3);
    for (let done = 1; done <= 7; done++) {
      h.finishOldest();
      await settle();
      expect(h.sent).toHaveLength(3 + done);
      expect(h.inFlight()).toBe(3);
    }
    // All 10 sent; the remaining 3 drain without new sends.
    h.finishOldest();
    await settle();
    expect(h.inFlight()).toBe(2);
    expect(run.returned()).toBe(false);
    h.finishAll();
    expect(await run.promise).toEqual({ stop: 'completed', dispatched: 10 });
    expect(h.sent.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(h.sent.every((s) => s.scheduledAtMs === undefined)).toBe(true);
    expect(h.maxInFlight()).toBe(3);
  });

  it('stops starting requests once dispatchUntilMs is reached, then awaits those running', async () => {
    const clock = new FakeClock();
    const h = harness(clock, 300);
    const until = clock.now + 1000;
    const run = closedLoop(clock, h, endless(), { concurrency: 2, dispatchUntilMs: until });
    for (let i = 0; i < 6; i++) {
      await settle();
      clock.advanceTo(clock.now + 300);
    }
    expect(await run.promise).toEqual({ stop: 'duration_reached', dispatched: 8 });
    for (const s of h.sent) expect(s.atMs).toBeLessThan(until);
  });

  it('abort: no further dispatch once the running requests end', async () => {
    const clock = new FakeClock();
    const h = harness(clock, null);
    const controller = new AbortController();
    const run = closedLoop(clock, h, endless(), { signal: controller.signal });
    await settle();
    h.finishOldest();
    await settle();
    expect(h.sent).toHaveLength(4);
    controller.abort();
    h.finishAll();
    expect(await run.promise).toEqual({ stop: 'cancelled', dispatched: 4 });
    expect(h.sent).toHaveLength(4);
  });
});

describe('withPositions', () => {
  const ten = planned([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

  it('skips the first startPos requests and calls onLimit at maxRequests', () => {
    const onLimit = vi.fn();
    const out = [...withPositions(ten, 3, 7, onLimit)];
    expect(out.map((r) => r.pos)).toEqual([3, 4, 5, 6]);
    expect(out.map((r) => r.seq)).toEqual([3, 4, 5, 6]);
    expect(out[0]).toMatchObject({ offsetUs: 3000, promptTokens: 10 });
    expect(onLimit).toHaveBeenCalledTimes(1);
  });

  it('does not call onLimit when the plan ends at or before maxRequests, or before it is reached', () => {
    const onLimit = vi.fn();
    expect([...withPositions(ten, 0, 10, onLimit)]).toHaveLength(10);
    expect([...withPositions(ten, 8, 100, onLimit)].map((r) => r.pos)).toEqual([8, 9]);
    const lazy = withPositions(ten, 0, 5, onLimit);
    lazy.next();
    lazy.next();
    expect(onLimit).not.toHaveBeenCalled();
  });

  it('positions count all requests of the shard, so a resumed slice continues where the last stopped', () => {
    const first = [...withPositions(ten, 0, 100, () => {})].slice(0, 4);
    const rest = [...withPositions(ten, first.length, 100, () => {})];
    expect([...first, ...rest].map((r) => r.pos)).toEqual(ten.map((_, i) => i));
  });

  it('drives the loop to stop at the request limit', async () => {
    const clock = new FakeClock();
    const h = harness(clock, 1);
    let limitHit = false;
    const requests = withPositions(planned([0, 10, 20, 30, 40, 50]), 1, 4, () => {
      limitHit = true;
    });
    const run = openLoop(clock, h, requests);
    await settle();
    clock.runAll();
    expect(await run.promise).toEqual({ stop: 'completed', dispatched: 3 });
    expect(h.sent.map((s) => s.seq)).toEqual([1, 2, 3]);
    expect(limitHit).toBe(true);
  });
});

describe('describeStop', () => {
  const limits = limitsSchema.parse({ max_concurrency: 777, max_requests: 12_345, max_duration_s: 99 });

  it('names the limit and its value for limit reasons', () => {
    expect(describeStop('limit_max_concurrency', limits)).toMatch(/max_concurrency.*777/);
    expect(describeStop('limit_max_requests', limits)).toMatch(/max_requests.*12345/);
    expect(describeStop('limit_max_duration', limits)).toMatch(/max_duration_s.*99/);
  });

  it('a slice end is an ordinary completion; cancel and duration say so', () => {
    expect(describeStop('slice_end', limits)).toBe(describeStop('completed', limits));
    expect(describeStop('cancelled', limits)).toContain('cancelled');
    expect(describeStop('duration_reached', limits)).toContain('duration_s');
    const all: ShardStopReason[] = [
      'completed',
      'cancelled',
      'duration_reached',
      'limit_max_concurrency',
      'limit_max_requests',
      'limit_max_duration',
    ];
    expect(new Set(all.map((stop) => describeStop(stop, limits))).size).toBe(all.length);
  });
});

describe('abortableSleep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after the time, or at once on abort, leaving no timers behind', async () => {
    vi.useFakeTimers();
    let done = false;
    void abortableSleep(1000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);

    const controller = new AbortController();
    done = false;
    void abortableSleep(60_000, controller.signal, () => false).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves immediately when already aborted, and early when `until` turns true', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    controller.abort();
    let done = false;
    void abortableSleep(60_000, controller.signal).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);

    let stop = false;
    done = false;
    void abortableSleep(60_000, undefined, () => stop).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(done).toBe(false);
    stop = true;
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('runShardLoop when preparing a request throws', () => {
  const poisoned = (h: ReturnType<typeof harness>, seq: number) => (request: PlannedRequest) => {
    if (request.seq === seq) throw new RangeError('Invalid array length');
    return h.prepare(request);
  };

  it('open loop: calls onFailure once, waits for the sends in flight, then rethrows', async () => {
    const clock = new FakeClock();
    const h = harness(clock, null);
    const abort = new AbortController();
    const onFailure = vi.fn(() => {
      abort.abort();
      h.finishAll();
    });
    const run = openLoop(clock, h, planned([0, 10, 20, 30]), {
      prepare: poisoned(h, 2),
      signal: abort.signal,
      onFailure,
    });
    const outcome = run.promise.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await settle();
    expect(await outcome).toBeInstanceOf(RangeError);
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(h.sent.map((s) => s.seq)).toEqual([0, 1]);
    expect(h.inFlight()).toBe(0);
  });

  it('closed loop: the other loops stop too, and the loop rethrows after they settle', async () => {
    const clock = new FakeClock();
    const h = harness(clock, 100);
    const abort = new AbortController();
    const onFailure = vi.fn(() => abort.abort());
    const promise = runShardLoop({
      requests: planned([null, null, null, null, null, null])[Symbol.iterator](),
      startAtMs: clock.now,
      concurrency: 2,
      dispatchUntilMs: Number.POSITIVE_INFINITY,
      untilReason: 'slice_end',
      maxInFlight: 1000,
      nowMs: clock.nowMs,
      sleep: clock.sleep,
      signal: abort.signal,
      prepare: poisoned(h, 3),
      onFailure,
    });
    const outcome = promise.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await settle();
    clock.runAll();
    await settle();
    clock.runAll();
    expect(await outcome).toBeInstanceOf(RangeError);
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(h.inFlight()).toBe(0);
    expect(h.sent.map((s) => s.seq).sort()).toEqual([0, 1, 2]);
  });
});

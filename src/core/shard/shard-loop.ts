import type { RunConfig } from '../run/run-config.ts';
import type { PlannedRequest } from './shard-plan.ts';

/** Why a shard stopped dispatching. */
export type ShardStopReason =
  | 'completed'
  | 'cancelled'
  | 'slice_end'
  | 'duration_reached'
  | 'limit_max_concurrency'
  | 'limit_max_requests'
  | 'limit_max_duration';

export interface ShardLoopOptions<T extends PlannedRequest = PlannedRequest> {
  /** This shard's requests in schedule order, already advanced past those dispatched earlier. */
  requests: Iterator<T>;
  /** Epoch ms the schedule's offset 0 maps to (shared by every shard of the run). */
  startAtMs: number;
  /** Closed-loop workers on this shard; null for open loop. */
  concurrency: number | null;
  /** Stop dispatching at this epoch ms (end of the alarm slice or the run's duration). */
  dispatchUntilMs: number;
  /** Why reaching `dispatchUntilMs` stops the loop. */
  untilReason: ShardStopReason;
  /**
   * Whether this invocation may send another request (its subrequest and D1 query budgets). When
   * it says no, the loop ends with `slice_end`, and the next alarm continues with a fresh budget.
   */
  budgetLeft?: () => boolean;
  /** Open loop: stop (and say why) rather than exceed this many requests in flight. */
  maxInFlight: number;
  /**
   * Requests scheduled before this epoch ms fell due while a previous slice drained: they go out at
   * once as a backlog (their lag is recorded) and neither trip nor count against `maxInFlight`.
   */
  capFromMs?: number;
  nowMs: () => number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborted on cancel: no more dispatches; sends see it too. */
  signal: AbortSignal;
  /**
   * Prepares a request (its body, before the wait: CPU work after the last I/O would make the send
   * time read early on deployed Workers) and returns the function that sends it. The send must not
   * throw: a failed request is a typed outcome.
   */
  prepare: (request: T) => (scheduledAtMs: number | undefined) => Promise<void>;
  /**
   * Called once when `prepare` or the request source throws (a bug, a poisoned request), before
   * the loop waits for the requests in flight and rethrows: the caller aborts them, so none is
   * still running (and writing) once the loop has failed.
   */
  onFailure?: () => void;
}

export interface ShardLoopResult {
  stop: ShardStopReason;
  dispatched: number;
}

/**
 * Runs one shard's share of the schedule. Open loop: each request is sent at its scheduled time
 * whatever earlier requests are doing (never skipped or delayed by them; any lag of the loop
 * itself shows as `sent − scheduled`). Closed loop: `concurrency` workers each send their next
 * request as soon as their previous one ends. Returns after every dispatched request finished.
 */
export async function runShardLoop<T extends PlannedRequest>(
  options: ShardLoopOptions<T>,
): Promise<ShardLoopResult> {
  const inFlight = new Set<Promise<void>>();
  let failing = false;
  const fail = () => {
    if (!failing) options.onFailure?.();
    failing = true;
  };
  try {
    return await dispatchAll(options, inFlight, fail);
  } catch (error) {
    fail();
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    throw error;
  }
}

async function dispatchAll<T extends PlannedRequest>(
  options: ShardLoopOptions<T>,
  inFlight: Set<Promise<void>>,
  fail: () => void,
): Promise<ShardLoopResult> {
  const backlogInFlight = new Set<Promise<void>>();
  let dispatched = 0;
  let stop: ShardStopReason = 'completed';
  const track = (promise: Promise<void>) => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  };

  if (options.concurrency === null) {
    for (;;) {
      if (options.signal.aborted) {
        stop = 'cancelled';
        break;
      }
      const next = options.requests.next();
      if (next.done) break;
      const planned = next.value;
      const offsetUs = planned.offsetUs ?? 0;
      const scheduledAtMs = options.startAtMs + offsetUs / 1000;
      if (scheduledAtMs >= options.dispatchUntilMs) {
        stop = options.untilReason;
        break;
      }
      const send = options.prepare(planned);
      // Until the clock has reached the scheduled time: timers may fire early by a fraction of the
      // clock's resolution (whole milliseconds in workerd), which would read as negative lag.
      let waitMs = scheduledAtMs - options.nowMs();
      while (waitMs > 0 && !options.signal.aborted) {
        await options.sleep(waitMs, options.signal);
        waitMs = scheduledAtMs - options.nowMs();
      }
      if (options.signal.aborted) {
        stop = 'cancelled';
        break;
      }
      // Counted at the send time: requests that ended during the wait no longer count.
      // A backlog (requests that fell due while a previous slice drained) goes out at once and is
      // not counted against the cap, so a slice boundary does not read as runaway concurrency.
      const backlog = scheduledAtMs < (options.capFromMs ?? Number.NEGATIVE_INFINITY);
      if (!backlog && inFlight.size - backlogInFlight.size >= options.maxInFlight) {
        stop = 'limit_max_concurrency';
        break;
      }
      if (options.budgetLeft && !options.budgetLeft()) {
        stop = 'slice_end';
        break;
      }
      dispatched++;
      const sent = send(scheduledAtMs);
      track(sent);
      if (backlog) {
        backlogInFlight.add(sent);
        void sent.finally(() => backlogInFlight.delete(sent));
      }
    }
  } else {
    let exhausted = false;
    const worker = async () => {
      for (;;) {
        if (options.signal.aborted) {
          stop = 'cancelled';
          return;
        }
        if (exhausted) return;
        if (options.nowMs() >= options.dispatchUntilMs) {
          stop = options.untilReason;
          return;
        }
        if (options.budgetLeft && !options.budgetLeft()) {
          stop = 'slice_end';
          return;
        }
        const next = options.requests.next();
        if (next.done) {
          exhausted = true;
          return;
        }
        dispatched++;
        await options.prepare(next.value)(undefined);
      }
    };
    // A worker that throws stops the others (onFailure aborts them) before the loop rethrows.
    const workers = Array.from({ length: options.concurrency }, () =>
      worker().catch((error: unknown) => {
        fail();
        throw error;
      }),
    );
    const settled = await Promise.allSettled(workers);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  while (inFlight.size > 0) await Promise.all([...inFlight]);
  return { stop, dispatched };
}

/** This shard's planned requests with their positions, skipping those an earlier slice sent. */
export function* withPositions(
  planned: Iterable<PlannedRequest>,
  startPos: number,
  maxRequests: number,
  onLimit: () => void,
): Generator<PlannedRequest & { pos: number }> {
  let pos = 0;
  for (const request of planned) {
    if (pos >= maxRequests) {
      onLimit();
      return;
    }
    if (pos >= startPos) yield { ...request, pos };
    pos++;
  }
}

/** The reason a shard gives for stopping, as the run's `reason` shows it. */
export function describeStop(stop: ShardStopReason, limits: RunConfig['limits']): string {
  switch (stop) {
    case 'completed':
    case 'slice_end':
      return 'completed';
    case 'duration_reached':
      return 'completed: workload.duration_s reached';
    case 'cancelled':
      return 'cancelled';
    case 'limit_max_concurrency':
      return `limit: more than limits.max_concurrency (${limits.max_concurrency}) requests would have been in flight`;
    case 'limit_max_requests':
      return `limit: limits.max_requests (${limits.max_requests}) reached`;
    case 'limit_max_duration':
      return `limit: limits.max_duration_s (${limits.max_duration_s} s) reached`;
  }
}

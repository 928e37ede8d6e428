// The bounded batch of a continuous-batching server: at most `max_sequences` requests decode at
// once, the rest wait in a FIFO queue of at most `queue_limit`, and each decode step slows down
// linearly with the number of active sequences (and, with a knee, jumps by a factor beyond a number
// of active sequences). No clock is needed: waiting is driven by release().

export interface CapacityOptions {
  max_sequences: number;
  queue_limit: number;
  batch_slowdown: number;
  knee?: { sequences: number; slowdown: number } | undefined;
}

/**
 * The decode step with `active` sequences in the batch: base × (1 + batch_slowdown × (active − 1)),
 * times knee.slowdown when active > knee.sequences. The one place this formula lives.
 */
export function decodeStepMs(options: CapacityOptions, baseMs: number, active: number): number {
  const linear = baseMs * (1 + options.batch_slowdown * Math.max(0, active - 1));
  return options.knee && active > options.knee.sequences ? linear * options.knee.slowdown : linear;
}

/** acquire() was called while the batch and the queue were both full. */
export class QueueFullError extends Error {
  constructor() {
    super('simulated server overloaded: the request queue is full');
    this.name = 'QueueFullError';
  }
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  detach: () => void;
}

export interface CapacityModel {
  /** Sequences holding a slot. */
  readonly active: number;
  /** Requests waiting for a slot. */
  readonly queued: number;
  /** Whether acquire() would be admitted now (a free slot or room in the queue). */
  canAdmit(): boolean;
  /**
   * Resolves when this request holds a slot (FIFO among waiters). Rejects at once with
   * QueueFullError when !canAdmit(), or with the signal's reason when aborted while queued
   * (the queue entry is then dropped and no slot is taken). The queue entry is made synchronously.
   */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Frees one slot, handing it straight to the oldest waiter. */
  release(): void;
  /** A decode step of `baseMs` at the current batch size. */
  stepMs(baseMs: number): number;
}

export function createCapacityModel(options: CapacityOptions): CapacityModel {
  let active = 0;
  // A plain array is fine: queue_limit is small and shift() is amortised by the engine.
  const waiters: Waiter[] = [];

  function abortReason(signal: AbortSignal): unknown {
    return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
  }

  return {
    get active() {
      return active;
    },
    get queued() {
      return waiters.length;
    },
    canAdmit() {
      return active < options.max_sequences || waiters.length < options.queue_limit;
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      if (active < options.max_sequences && waiters.length === 0) {
        active += 1;
        return Promise.resolve();
      }
      if (waiters.length >= options.queue_limit) return Promise.reject(new QueueFullError());
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(abortReason(signal as AbortSignal));
        };
        const waiter: Waiter = {
          resolve,
          reject,
          detach: () => signal?.removeEventListener('abort', onAbort),
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    release() {
      if (active <= 0) throw new Error('capacity model: release() without a held slot');
      const next = waiters.shift();
      if (next) {
        // The slot passes directly to the waiter, so `active` is unchanged.
        next.detach();
        next.resolve();
      } else {
        active -= 1;
      }
    },
    stepMs(baseMs) {
      return decodeStepMs(options, baseMs, active);
    },
  };
}

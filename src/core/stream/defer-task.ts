// Work that must not run between a read becoming ready and its timestamp (decoding, storage
// writes) is queued and run in a later timer turn, after the I/O callbacks that are ready.
// One queue per Durable Object (its timers belong to it): one timer per turn, however many
// streams queue work in it.

export type DeferTask = (task: () => void) => void;

/**
 * A queue whose tasks run in a later timer turn (`delayMs` after the first was queued; 0: the
 * next turn), in the order they were queued. A delay batches the tasks of several reads under one
 * timer: timers cost tens of µs each in workerd, more than decoding a chunk.
 */
export function createDeferQueue(delayMs = 0): DeferTask {
  const queued: (() => void)[] = [];
  const runQueued = (): void => {
    // Tasks queued while these run wait for the next turn, so fresh reads are stamped first.
    const tasks = queued.splice(0);
    for (const task of tasks) task();
  };
  return (task) => {
    queued.push(task);
    if (queued.length === 1) setTimeout(runQueued, delayMs);
  };
}

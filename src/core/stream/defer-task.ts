// Work that must not run between a read becoming ready and its timestamp (decoding, storage
// writes) is queued and run in the next timer turn, after the I/O callbacks that are ready.
// One queue per Durable Object (its timers belong to it): one timer per turn, however many
// streams queue work in it.

export type DeferTask = (task: () => void) => void;

/** A queue whose tasks run in the next timer turn, in the order they were queued. */
export function createDeferQueue(): DeferTask {
  const queued: (() => void)[] = [];
  const runQueued = (): void => {
    // Tasks queued while these run wait for the next turn, so fresh reads are stamped first.
    const tasks = queued.splice(0);
    for (const task of tasks) task();
  };
  return (task) => {
    queued.push(task);
    if (queued.length === 1) setTimeout(runQueued, 0);
  };
}

/** Sleeps `ms`, returning early on abort (or, polled each 50 ms, when `until` says so). */
export function abortableSleep(ms: number, signal?: AbortSignal, until?: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    let poll: ReturnType<typeof setInterval> | undefined;
    const done = () => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    if (until) poll = setInterval(() => until() && done(), 50);
  });
}

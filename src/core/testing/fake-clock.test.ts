import { describe, expect, it } from 'vitest';
import { createFakeClock } from './fake-clock.ts';

describe('fake clock', () => {
  it('wakes concurrent sleepers in time order at exactly their times, taking no wall time', async () => {
    const clock = createFakeClock({ startMs: 0 });
    const woke: [string, number][] = [];
    const wall = performance.now();
    await Promise.all(
      (
        [
          ['b', 300],
          ['a', 100],
          ['c', 100_000],
        ] as const
      ).map(async ([name, ms]) => {
        await clock.sleep(ms);
        woke.push([name, clock.nowMs()]);
      }),
    );
    expect(woke).toEqual([
      ['a', 100],
      ['b', 300],
      ['c', 100_000],
    ]);
    expect(performance.now() - wall).toBeLessThan(1_000);
  });

  it('steps on every reading with stepMs, and an aborted sleep rejects with the reason', async () => {
    const clock = createFakeClock({ startMs: 10, stepMs: 1 });
    expect([clock.nowMs(), clock.nowMs(), clock.nowMs()]).toEqual([11, 12, 13]);
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
  });
});

import { describe, expect, it } from 'vitest';
import { createCapacityModel, decodeStepMs, QueueFullError } from './capacity-model.ts';

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('capacity model', () => {
  it('admits up to max_sequences at once, then queues FIFO', async () => {
    const cap = createCapacityModel({ max_sequences: 2, queue_limit: 5, batch_slowdown: 0 });
    const order: number[] = [];
    for (let i = 0; i < 5; i++) void cap.acquire().then(() => order.push(i));
    await flush();
    expect(order).toEqual([0, 1]);
    expect([cap.active, cap.queued]).toEqual([2, 3]);
    cap.release();
    await flush();
    expect(order).toEqual([0, 1, 2]);
    expect([cap.active, cap.queued]).toEqual([2, 2]);
    cap.release();
    cap.release();
    await flush();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    cap.release();
    cap.release();
    expect([cap.active, cap.queued]).toEqual([0, 0]);
    expect(() => cap.release()).toThrow();
  });

  it('rejects with QueueFullError beyond queue_limit', async () => {
    const cap = createCapacityModel({ max_sequences: 1, queue_limit: 1, batch_slowdown: 0 });
    void cap.acquire();
    void cap.acquire();
    expect(cap.canAdmit()).toBe(false);
    await expect(cap.acquire()).rejects.toBeInstanceOf(QueueFullError);
    expect(cap.queued).toBe(1);
  });

  it('drops an aborted waiter from the queue without taking a slot', async () => {
    const cap = createCapacityModel({ max_sequences: 1, queue_limit: 3, batch_slowdown: 0 });
    await cap.acquire();
    const ac = new AbortController();
    const aborted = cap.acquire(ac.signal);
    let nextGot = false;
    void cap.acquire().then(() => {
      nextGot = true;
    });
    ac.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    expect(cap.queued).toBe(1);
    cap.release();
    await flush();
    expect(nextGot).toBe(true);
    expect(cap.active).toBe(1);
    await expect(cap.acquire(AbortSignal.abort())).rejects.toBeDefined();
  });

  it('slows each step linearly with the active sequences', async () => {
    const cap = createCapacityModel({ max_sequences: 10, queue_limit: 0, batch_slowdown: 0.5 });
    expect(cap.stepMs(10)).toBe(10);
    await cap.acquire();
    expect(cap.stepMs(10)).toBe(10);
    await cap.acquire();
    await cap.acquire();
    expect(cap.stepMs(10)).toBe(20); // 10 × (1 + 0.5 × 2)
  });
});

describe('decode step', () => {
  it('grows linearly with active sequences and jumps past the knee', () => {
    const options = {
      max_sequences: 64,
      queue_limit: 0,
      batch_slowdown: 0.5,
      knee: { sequences: 3, slowdown: 4 },
    };
    expect([1, 2, 3, 4, 5].map((a) => decodeStepMs(options, 10, a))).toEqual([10, 15, 20, 25 * 4, 30 * 4]);
    expect(decodeStepMs({ ...options, knee: undefined }, 10, 5)).toBe(30);
  });
});

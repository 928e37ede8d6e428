import { describe, expect, it } from 'vitest';
import { chatBody, chunkText, readSse, type SseResult, simHarness, simRequest } from './sim-test-kit.ts';

const firstTokenAt = (r: SseResult) =>
  r.events.find((e) => e.data !== '[DONE]' && chunkText(JSON.parse(e.data)) !== '')?.atMs;
const lastTokenAt = (r: SseResult) => r.events.filter((e) => e.data !== '[DONE]').at(-1)?.atMs;
const flush = () => new Promise<void>((r) => setImmediate(r));

const fast = { prefill_base_ms: 10, prefill_us_per_token: 0, decode_ms_per_token: 10 };

describe('simulator capacity', () => {
  it('queues requests beyond max_sequences: the next one starts when a slot frees', async () => {
    const { sim, clock } = simHarness({ ...fast, capacity: { max_sequences: 2, batch_slowdown: 0 } });
    const t0 = clock.nowMs();
    const responses = await Promise.all(
      [0, 1, 2].map(() => sim.handle(simRequest('/v1/chat/completions', chatBody({ max_tokens: 5 })))),
    );
    // All three get their headers and role chunk at once, like vLLM.
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(sim.stats()).toMatchObject({ active: 2, queued: 1 });
    const results = await Promise.all(responses.map((r) => readSse(r, clock.nowMs)));
    const ttft = results.map((r) => (firstTokenAt(r) ?? NaN) - t0);
    const e2e = results.map((r) => (lastTokenAt(r) ?? NaN) - t0);
    expect(ttft.slice(0, 2)).toEqual([10, 10]);
    expect(e2e[0]).toBe(10 + 4 * 10);
    // The third waits for the first slot (50 ms), then pays its own prefill.
    expect(ttft[2]).toBe((e2e[0] ?? NaN) + 10);
    expect(results.every((r) => r.doneLast)).toBe(true);
    expect(sim.stats()).toEqual({ active: 0, queued: 0, completed: 3, rejected: 0, faulted: 0, aborted: 0 });
  });

  it('answers 429 with Retry-After beyond queue_limit', async () => {
    const { sim, clock } = simHarness({ ...fast, capacity: { max_sequences: 1, queue_limit: 1 } });
    const ok = await Promise.all(
      [0, 1].map(() => sim.handle(simRequest('/v1/chat/completions', chatBody()))),
    );
    const rejected = await sim.handle(
      simRequest('/v1/chat/completions', chatBody(), { headers: { 'x-request-id': 'x' } }),
    );
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('retry-after')).toBe('1');
    expect(rejected.headers.get('x-request-id')).toBe('x');
    expect(((await rejected.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    expect(sim.stats().rejected).toBe(1);
    await Promise.all(ok.map((r) => readSse(r, clock.nowMs)));
    // Room again once the queue drained.
    const later = await sim.handle(simRequest('/v1/chat/completions', chatBody()));
    expect(later.status).toBe(200);
    await readSse(later, clock.nowMs);
  });

  it('decodes slower with more active sequences (batch_slowdown)', async () => {
    const config = { ...fast, capacity: { batch_slowdown: 1 } };
    const run = async (concurrent: number) => {
      const { sim, clock } = simHarness(config);
      const responses = await Promise.all(
        Array.from({ length: concurrent }, () =>
          sim.handle(simRequest('/v1/chat/completions', chatBody({ max_tokens: 11 }))),
        ),
      );
      const results = await Promise.all(responses.map((r) => readSse(r, clock.nowMs)));
      const first = results[0] as SseResult;
      return (lastTokenAt(first) ?? NaN) - (firstTokenAt(first) ?? NaN);
    };
    const alone = await run(1);
    const withThree = await run(3);
    expect(alone).toBe(10 * 10);
    // Step = 10 × (1 + 1 × (3 − 1)) while all three decode together.
    expect(withThree).toBeCloseTo(10 * 30, 6);
  });

  it('frees the slot when a streaming client cancels', async () => {
    const { sim, clock } = simHarness({ ...fast, capacity: { max_sequences: 1 } });
    const t0 = clock.nowMs();
    const long = await sim.handle(simRequest('/v1/chat/completions', chatBody({ max_tokens: 1000 })));
    const next = await sim.handle(simRequest('/v1/chat/completions', chatBody({ max_tokens: 2 })));
    expect(sim.stats().queued).toBe(1);
    const partial = await readSse(long, clock.nowMs, { stopAfterEvents: 4 }); // role + 3 tokens
    const cancelledAt = clock.nowMs();
    const done = await readSse(next, clock.nowMs);
    expect(partial.events).toHaveLength(4);
    expect(cancelledAt - t0).toBe(30);
    expect((firstTokenAt(done) ?? NaN) - cancelledAt).toBe(10); // only its own prefill
    expect(sim.stats()).toMatchObject({ active: 0, queued: 0, aborted: 1, completed: 1 });
  });

  it('frees the slot, or the queue entry, when the request signal aborts', async () => {
    const { sim, clock } = simHarness({ ...fast, capacity: { max_sequences: 1 } });
    const running = new AbortController();
    const queued = new AbortController();
    const a = sim.handle(
      simRequest('/v1/chat/completions', chatBody({ stream: false, max_tokens: 1000 }), {
        signal: running.signal,
      }),
    );
    const b = await sim.handle(
      simRequest('/v1/chat/completions', chatBody({ max_tokens: 3 }), { signal: queued.signal }),
    );
    await flush();
    expect(sim.stats()).toMatchObject({ active: 1, queued: 1 });
    queued.abort();
    await flush();
    expect(sim.stats()).toMatchObject({ active: 1, queued: 0 });
    await clock.sleep(25);
    running.abort();
    await a;
    await readSse(b, clock.nowMs);
    expect(sim.stats()).toMatchObject({ active: 0, queued: 0, aborted: 2, completed: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { TOKEN_TEXT } from './sim-chunks.ts';
import { chatBody, chunkText, readSse, simHarness, simRequest, words } from './sim-test-kit.ts';

const tokenEvents = (json: Record<string, unknown>[]) => json.filter((c) => chunkText(c) !== '');
const tokensIn = (c: Record<string, unknown>) => chunkText(c).length / TOKEN_TEXT.length;

describe('simulator streaming (OpenAI chat)', () => {
  it('sends a role chunk first, exactly max_tokens tokens, a usage chunk, then [DONE]', async () => {
    const { sim, clock } = simHarness();
    const res = await sim.handle(
      simRequest(
        '/v1/chat/completions',
        chatBody({ max_tokens: 7, stream_options: { include_usage: true } }),
        {
          headers: { 'x-request-id': 'r-1' },
        },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBe('r-1');
    const { json, doneLast, error } = await readSse(res, clock.nowMs);
    expect(error).toBeUndefined();
    expect(doneLast).toBe(true);
    const [first, ...rest] = json;
    expect(first).toMatchObject({ object: 'chat.completion.chunk', model: 'm', usage: null });
    expect((first?.choices as { delta: unknown }[] | undefined)?.[0]?.delta).toEqual({
      role: 'assistant',
      content: '',
    });
    const tokens = tokenEvents(rest);
    expect(tokens.reduce((n, c) => n + tokensIn(c), 0)).toBe(7);
    for (const c of tokens) expect(c.usage).toBeNull();
    const finishes = tokens.map((c) => (c.choices as { finish_reason: unknown }[])[0]?.finish_reason);
    expect(finishes.at(-1)).toBe('length');
    expect(finishes.slice(0, -1).every((f) => f === null)).toBe(true);
    const last = json.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 });
    expect(new Set(json.map((c) => c.id)).size).toBe(1);
    for (const c of json) expect(typeof c.created).toBe('number');
  });

  it('legacy completions: text chunks with cumulative usage, tokens_per_chunk tokens each', async () => {
    const { sim, clock } = simHarness({ tokens_per_chunk: 3 });
    const res = await sim.handle(
      simRequest('/v1/completions', {
        model: 'm',
        prompt: words(4),
        max_tokens: 7,
        stream: true,
        stream_options: { continuous_usage_stats: true },
      }),
    );
    const { json, doneLast } = await readSse(res, clock.nowMs);
    expect(doneLast).toBe(true);
    expect(json.every((c) => c.object === 'text_completion')).toBe(true);
    expect(json.map(tokensIn)).toEqual([3, 3, 1]); // no role chunk, no usage chunk without include_usage
    expect(json.map((c) => (c.usage as { completion_tokens: number }).completion_tokens)).toEqual([3, 6, 7]);
    for (const c of json) expect((c.usage as { prompt_tokens: number }).prompt_tokens).toBe(4);
  });

  it('times the first token by queue + prefill and later chunks by decode steps', async () => {
    const { sim, clock } = simHarness({
      prefill_base_ms: 20,
      prefill_us_per_token: 1000,
      decode_ms_per_token: 5,
    });
    const t0 = clock.nowMs();
    const res = await sim.handle(simRequest('/v1/chat/completions', chatBody({ max_tokens: 4 })));
    const { events } = await readSse(res, clock.nowMs);
    const at = events.map((e) => e.atMs - t0);
    expect(at[0]).toBe(0); // role chunk before prefill
    // 20 ms + 10 prompt tokens × 1 ms, then 5 ms per token.
    expect(at.slice(1, 5)).toEqual([30, 35, 40, 45]);
  });

  it('multi-token chunks still cost one decode step per token', async () => {
    const { sim, clock } = simHarness({
      prefill_base_ms: 10,
      prefill_us_per_token: 0,
      decode_ms_per_token: 5,
      tokens_per_chunk: 2,
    });
    const t0 = clock.nowMs();
    const { events } = await readSse(
      await sim.handle(simRequest('/v1/chat/completions', chatBody({ max_tokens: 5 }))),
      clock.nowMs,
    );
    // Chunks of 2, 2, 1 tokens: the first chunk's 2nd token is one decode step after prefill.
    expect(events.slice(1, 4).map((e) => e.atMs - t0)).toEqual([15, 25, 30]);
  });

  it('keeps jittered steps within the jitter band', async () => {
    const { sim, clock } = simHarness({
      jitter: 0.5,
      prefill_base_ms: 100,
      prefill_us_per_token: 0,
      decode_ms_per_token: 10,
    });
    const t0 = clock.nowMs();
    const { events } = await readSse(
      await sim.handle(simRequest('/v1/chat/completions', chatBody({ max_tokens: 30 }))),
      clock.nowMs,
    );
    const times = events.slice(1, 31).map((e) => e.atMs - t0);
    expect(times[0]).toBeGreaterThanOrEqual(50);
    expect(times[0]).toBeLessThanOrEqual(150);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(5 - 1e-9);
    for (const g of gaps) expect(g).toBeLessThanOrEqual(15 + 1e-9);
    expect(new Set(gaps.map((g) => g.toFixed(6))).size).toBeGreaterThan(1); // it does vary
  });

  it('logs each token chunk at the moment the client receives it', async () => {
    const { sim, clock, sent } = simHarness({ tokens_per_chunk: 2 });
    const [a, b] = await Promise.all(
      ['a', 'b'].map(async (id, i) =>
        readSse(
          await sim.handle(
            simRequest('/v1/chat/completions', chatBody({ max_tokens: 5 + i }), {
              headers: { 'x-request-id': id },
            }),
          ),
          clock.nowMs,
        ),
      ),
    );
    for (const [id, result] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const received =
        result?.events.filter((e) => e.data !== '[DONE]' && chunkText(JSON.parse(e.data)) !== '') ?? [];
      const log = sent.filter((e) => e.requestId === id);
      expect(log.length).toBe(received.length);
      expect(log.map((e) => e.sentAtMs)).toEqual(received.map((e) => e.atMs));
      expect(log.map((e) => e.index)).toEqual(log.map((_, i) => i));
    }
    expect(sent.filter((e) => e.requestId === 'b').reduce((n, e) => n + e.tokens, 0)).toBe(6);
  });

  it('non-streaming returns one completion after the whole simulated time', async () => {
    const { sim, clock, sent } = simHarness({
      prefill_base_ms: 10,
      prefill_us_per_token: 0,
      decode_ms_per_token: 4,
    });
    const t0 = clock.nowMs();
    const res = await sim.handle(
      simRequest(
        '/v1/chat/completions',
        chatBody({ stream: false, max_tokens: undefined, max_completion_tokens: 6 }),
      ),
    );
    expect(clock.nowMs() - t0).toBe(10 + 5 * 4);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.object).toBe('chat.completion');
    const choice = (body.choices as { message: { content: string }; finish_reason: string }[])[0];
    expect(choice?.message.content).toBe(TOKEN_TEXT.repeat(6));
    expect(choice?.finish_reason).toBe('length');
    expect(body.usage).toEqual({ prompt_tokens: 10, completion_tokens: 6, total_tokens: 16 });
    expect(sent).toHaveLength(1);
    expect(sim.stats()).toMatchObject({ active: 0, queued: 0, completed: 1 });
  });

  it('serves /v1/models and matches routes by suffix', async () => {
    const { sim, clock } = simHarness();
    const models = await sim.handle(new Request('http://sim.test/sim/v1/models'));
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    const prefixed = await sim.handle(simRequest('/sim/v1/chat/completions', chatBody({ max_tokens: 2 })));
    expect((await readSse(prefixed, clock.nowMs)).doneLast).toBe(true);
    for (const [path, method] of [
      ['/v1/other', 'POST'],
      ['/v1/chat/completions', 'GET'],
    ] as const) {
      const res = await sim.handle(new Request(`http://sim.test${path}`, { method }));
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    }
  });
});

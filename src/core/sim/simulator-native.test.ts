import { describe, expect, it } from 'vitest';
import { requestRecordSchema } from '../record/request-record.ts';
import { adapterFor } from '../stream/adapters.ts';
import { streamRequest } from '../stream/stream-request.ts';
import { parseTarget } from '../stream/target-config.ts';
import type { SimConfigInput } from './sim-config.ts';
import { reasoningInChunk } from './sim-stream-writer.ts';
import { simHarness, simRequest, words } from './sim-test-kit.ts';

// The simulator's hosted-provider protocols read back by fluidbench's own adapters, on the fake
// clock: prefill 20 ms, 10 ms per decode step, so every mark is exact.

type Api = 'anthropic-messages' | 'openai-responses' | 'gemini';
const APIS: Api[] = ['anthropic-messages', 'openai-responses', 'gemini'];
const KNOBS: SimConfigInput = { prefill_base_ms: 20, prefill_us_per_token: 0, decode_ms_per_token: 10 };

/** The request options that make each protocol stream its reasoning. */
const SHOW_REASONING: Record<Api, Record<string, unknown>> = {
  'anthropic-messages': { thinking: { type: 'enabled', budget_tokens: 1024 } },
  'openai-responses': { reasoning: { effort: 'low', summary: 'auto' } },
  gemini: { generationConfig: { thinkingConfig: { includeThoughts: true } } },
};

async function measure(
  api: Api,
  config: SimConfigInput = {},
  extra: Record<string, unknown> = {},
  apiKey?: string,
) {
  const { sim, clock } = simHarness({ ...KNOBS, ...config });
  const target = parseTarget({
    api,
    base_url: api === 'gemini' ? 'http://sim.test/v1beta' : 'http://sim.test/v1',
    model: 'sim-model',
    extra_body: extra,
  });
  const result = await streamRequest({
    fetch: (async (url: string, init: RequestInit) => sim.handle(new Request(url, init))) as typeof fetch,
    nowMs: clock.nowMs,
    adapter: adapterFor(api),
    target,
    ...(apiKey ? { apiKey } : {}),
    id: 'r-1',
    prompt: words(12),
    promptTokens: 999, // the protocols' usage must replace this
    maxTokens: 10,
    timeoutMs: 60_000,
    collectText: true,
  });
  expect(requestRecordSchema.safeParse(result.record).error).toBeUndefined();
  return result;
}

describe.each(APIS)('the simulator speaking %s', (api) => {
  it('streams reasoning first, then the answer, with exact counts and marks', async () => {
    const { record: r, text } = await measure(api, { reasoning_tokens: 4 }, SHOW_REASONING[api]);
    expect(r.outcome, r.error).toBe('ok');
    expect(r.output_tokens).toBe(10);
    expect(r.prompt_tokens).toBe(12);
    expect(r.chunks.reduce((n, c) => n + c[1], 0)).toBe(10);
    expect(r.first_reasoning_ms).toBe(20); // out of prefill
    expect(r.first_visible_ms).toBe(60); // after 4 reasoning tokens at 10 ms
    expect(r.chunks[0]).toEqual([20, 1]);
    expect(text).toBe(' hmm'.repeat(4) + ' tok'.repeat(6));
    // Anthropic's usage has no thinking count; Gemini omits cachedContentTokenCount when nothing is cached.
    expect(r.reasoning_tokens).toBe(api === 'anthropic-messages' ? undefined : 4);
    expect(r.cached_prompt_tokens).toBe(api === 'gemini' ? undefined : 0);
  });

  it('without reasoning: no reasoning marks, the answer from prefill', async () => {
    const { record: r } = await measure(api);
    expect(r.outcome).toBe('ok');
    expect(r.first_reasoning_ms).toBeUndefined();
    expect(r.first_visible_ms).toBeUndefined();
    expect(r.chunks[0]).toEqual([20, 1]);
    expect(r.output_tokens).toBe(10);
  });

  it.each<[string, SimConfigInput, string]>([
    ['an injected 429', { errors: { http_rate: 1, http_statuses: [429] } }, 'rate_limited'],
    ['an injected 503', { errors: { http_rate: 1, http_statuses: [503] } }, 'http_error'],
    ['a disconnect mid-way', { errors: { disconnect_rate: 1 } }, 'truncated'],
  ])('%s gives %s', async (_name, faults, outcome) => {
    const { record: r } = await measure(api, faults);
    expect(r.outcome).toBe(outcome);
  });

  it("the provider's in-stream error: Anthropic's overloaded_error is a rate limit, the others stream errors", async () => {
    const { record: r } = await measure(api, { errors: { in_stream_rate: 1 } });
    expect(r.outcome).toBe(api === 'anthropic-messages' ? 'rate_limited' : 'stream_error');
    expect(r.chunks.length).toBeGreaterThan(0);
  });

  it('checks the key where the provider takes it, and never echoes it', async () => {
    expect(
      (await measure(api, { api_key: 'sim-secret-key-123' }, {}, 'sim-secret-key-123')).record.outcome,
    ).toBe('ok');
    const wrong = (await measure(api, { api_key: 'sim-secret-key-123' }, {}, 'wrong-key-456789')).record;
    expect(wrong.outcome).toBe('http_error');
    expect(wrong.status).toBe(401);
    expect(wrong.error).not.toContain('wrong-key-456789');
  });
});

describe('hidden reasoning', () => {
  it.each(['openai-responses', 'gemini'] as const)(
    '%s without the option: reasoning takes time and counts in usage, TTFT is the first visible token',
    async (api) => {
      const { record: r, text } = await measure(api, { reasoning_tokens: 4 });
      expect(r.outcome).toBe('ok');
      expect(r.reasoning_tokens).toBe(4);
      expect(r.output_tokens).toBe(10);
      expect(r.first_reasoning_ms).toBeUndefined();
      expect(r.chunks[0]![0]).toBe(60);
      expect(r.first_visible_ms).toBe(60);
      expect(text).toBe(' tok'.repeat(6));
    },
  );
});

describe('protocol errors', () => {
  it('a full queue answers Anthropic with 529 overloaded_error (a rate limit)', async () => {
    const { sim } = simHarness({ ...KNOBS, capacity: { max_sequences: 1, queue_limit: 0 } });
    const body = { model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }], stream: true };
    const first = await sim.handle(simRequest('/v1/messages', body));
    const second = await sim.handle(simRequest('/v1/messages', body));
    expect(first.status).toBe(200);
    expect(second.status).toBe(529);
    expect(await second.json()).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'simulated server overloaded: the request queue is full' },
    });
    await first.body?.cancel();
  });

  it.each([
    ['/v1/messages', { model: 'm', messages: [] }, /max_tokens/],
    ['/v1/responses', { model: 'm', input: 'x', max_output_tokens: 3, stream: false }, /stream: true/],
    [
      '/v1beta/models/g:streamGenerateContent',
      { contents: [{ parts: [{ text: 'x' }] }], generationConfig: { maxOutputTokens: 2 } },
      /alt=sse/,
    ],
  ])('%s rejects a bad request with 400 in the provider shape', async (path, body, message) => {
    const { sim } = simHarness();
    const res = await sim.handle(simRequest(path, body));
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(message);
  });

  it('splits a chunk at the end of the reasoning', () => {
    expect([reasoningInChunk(4, 4, 5), reasoningInChunk(4, 8, 5), reasoningInChunk(4, 12, 5)]).toEqual([
      4, 1, 0,
    ]);
  });
});

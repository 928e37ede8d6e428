import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../testing/fake-clock.ts';
import { type StreamRequestInput, type StreamResult, streamRequest } from './stream-request.ts';
import { parseTarget } from './target-config.ts';
import { memoryFetch, splitAt } from './testing/transcripts.ts';
import { decodeWorkersAiEvent, workersAiAdapter } from './workers-ai-adapter.ts';

// Workers AI text-generation streams in the documented shapes: `data: {"response": "…"}` events,
// the final `{"response": "", "usage": …}`, `data: [DONE]`; newer models interleave OpenAI-style
// chunks (`choices[0].delta.reasoning_content` / `content`), and chunks may carry a `p` padding field.

const enc = new TextEncoder();
const REASONING = ['Thinking', ' hard'];
const ANSWER = ['New', ' York', ' is', ' in', ' the', ' US.'];

function sse(done = true): string {
  const events: unknown[] = [
    ...REASONING.map((text) => ({
      choices: [{ index: 0, delta: { reasoning_content: text }, finish_reason: null }],
    })),
    ...ANSWER.map((response, i) => (i % 2 === 0 ? { response, p: 'abcdefghij' } : { response })),
    { response: '', usage: { prompt_tokens: 21, completion_tokens: 11, total_tokens: 32 } },
  ];
  return events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '');
}

function input(fetchImpl: typeof fetch): StreamRequestInput {
  return {
    fetch: fetchImpl,
    nowMs: createFakeClock({ stepMs: 1 }).nowMs,
    adapter: workersAiAdapter,
    target: parseTarget({
      api: 'workers-ai',
      base_url: 'https://api.cloudflare.com/client/v4/accounts/0123abcd/ai',
      model: '@cf/meta/llama-3.1-8b-instruct',
      api_key_secret: 'CF_API_TOKEN',
      extra_body: { temperature: 0 },
    }),
    apiKey: 'cf-token',
    id: 'req-1',
    prompt: 'where is new york?',
    promptTokens: 4,
    maxTokens: 32,
    timeoutMs: 10_000,
    collectText: true,
  };
}

const run = (pieces: Uint8Array[]): Promise<StreamResult> => streamRequest(input(memoryFetch(pieces)));

describe('Workers AI adapter', () => {
  it('builds the ai/run request: model path, messages, stream, max_tokens, bearer token', () => {
    const built = workersAiAdapter.buildRequest({
      target: input(memoryFetch([])).target,
      apiKey: 'cf-token',
      requestId: 'r',
      prompt: 'hi',
      maxTokens: 7,
    });
    expect(built.url).toBe(
      'https://api.cloudflare.com/client/v4/accounts/0123abcd/ai/run/@cf/meta/llama-3.1-8b-instruct',
    );
    expect(JSON.parse(built.init.body)).toEqual({
      temperature: 0,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      max_tokens: 7,
    });
    expect(built.init.headers.authorization).toBe('Bearer cf-token');
  });

  it('reads both chunk shapes and the final usage however the bytes are split', async () => {
    const bytes = enc.encode(sse());
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: bytes.length }), { maxLength: 60 }), async (cuts) => {
        const result = await run(splitAt(bytes, cuts));
        expect(result.record.outcome).toBe('ok');
        expect(result.text).toBe([...REASONING, ...ANSWER].join(''));
        expect(result.record.prompt_tokens).toBe(21);
        expect(result.record.output_tokens).toBe(11);
        expect(result.record.token_count_source).toBe('usage_final');
      }),
      { numRuns: 60 },
    );
  });

  it('flags reasoning_content chunks as reasoning, response chunks as visible text', () => {
    const events = sse()
      .split('\n\n')
      .filter(Boolean)
      .map((line) => decodeWorkersAiEvent(line.slice('data: '.length), undefined));
    expect(events.filter((d) => d.tokenEvents > 0).map((d) => d.reasoning === true)).toEqual([
      ...REASONING.map(() => true),
      ...ANSWER.map(() => false),
    ]);
    expect(events.at(-1)?.end).toBe(true);
  });

  it('never takes usage from a chunk that carries text (per-chunk usage is not documented as cumulative)', () => {
    const d = decodeWorkersAiEvent(
      JSON.stringify({
        choices: [{ delta: { content: 'a' } }],
        usage: { completion_tokens: 1, prompt_tokens: 3 },
      }),
      undefined,
    );
    expect(d).toEqual({ tokenEvents: 1, text: 'a' });
  });

  it('ends a stream without [DONE] as truncated, keeping what arrived', async () => {
    const result = await run([enc.encode(sse(false))]);
    expect(result.record.outcome).toBe('truncated');
    expect(result.record.output_tokens).toBe(11);
  });
});

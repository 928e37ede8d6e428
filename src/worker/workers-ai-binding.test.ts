import { describe, expect, it } from 'vitest';
import { streamRequest } from '../core/stream/stream-request.ts';
import { parseTarget } from '../core/stream/target-config.ts';
import { workersAiAdapter } from '../core/stream/workers-ai-adapter.ts';
import { type AiBinding, aiBindingFetch } from './workers-ai-binding.ts';

// The Workers AI binding path in workerd. The real binding cannot run offline (wrangler sends it to
// Cloudflare even locally), so a stand-in replays the documented stream shapes: a ReadableStream of
// SSE bytes (`{"response": …}` events, OpenAI-style reasoning chunks, the final usage, `[DONE]`).

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function standIn(
  events: string[],
  gapMs: number,
  seen: { model?: string; inputs?: unknown }[] = [],
): AiBinding {
  return {
    async run(model, inputs) {
      seen.push({ model, inputs });
      await sleep(gapMs);
      return new ReadableStream<Uint8Array>({
        async start(controller) {
          for (const e of events) {
            controller.enqueue(enc.encode(e));
            await sleep(gapMs);
          }
          controller.close();
        },
      });
    },
  };
}

const EVENTS = [
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { reasoning_content: 'hmm' } }] })}\n\n`,
  ...['New', ' York', ' is', ' big'].map((response) => `data: ${JSON.stringify({ response, p: 'abc' })}\n\n`),
  `data: ${JSON.stringify({ response: '', usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 } })}\n\n`,
  'data: [DONE]\n\n',
];

function request(ai: AiBinding, timeoutMs = 10_000) {
  return streamRequest({
    fetch: aiBindingFetch(ai),
    nowMs: Date.now,
    adapter: workersAiAdapter,
    target: parseTarget({
      api: 'workers-ai',
      base_url: 'https://api.cloudflare.com/client/v4/accounts/0123abcd/ai',
      model: '@cf/meta/llama-3.1-8b-instruct',
      ai_binding: 'AI',
    }),
    id: 'req-1',
    prompt: 'where is new york?',
    promptTokens: 4,
    maxTokens: 16,
    timeoutMs,
    collectText: true,
  });
}

describe('Workers AI through a stand-in AI binding', () => {
  it('runs the model with the adapter body and times the returned stream like the REST one', async () => {
    const seen: { model?: string; inputs?: unknown }[] = [];
    const result = await request(standIn(EVENTS, 5, seen));
    expect(seen).toEqual([
      {
        model: '@cf/meta/llama-3.1-8b-instruct',
        inputs: { messages: [{ role: 'user', content: 'where is new york?' }], stream: true, max_tokens: 16 },
      },
    ]);
    expect(result.record.outcome, result.record.error).toBe('ok');
    expect(result.text).toBe('hmmNew York is big');
    expect(result.record.output_tokens).toBe(5);
    expect(result.record.prompt_tokens).toBe(9);
    expect(result.record.headers_ms).toBeGreaterThanOrEqual(4);
    // One token event per read: five token-carrying reads, each after the previous one.
    expect(result.record.chunks.length).toBe(5);
  });

  it('a timeout stops the binding stream mid-way', async () => {
    const result = await request(standIn(EVENTS, 40), 100);
    expect(result.record.outcome).toBe('timeout');
    expect(result.record.output_tokens).toBeGreaterThan(0);
    expect(result.record.output_tokens).toBeLessThan(5);
  });

  it('an error thrown by the binding is recorded as a failed request, not an exception', async () => {
    class InferenceUpstreamError extends Error {
      override name = 'InferenceUpstreamError';
    }
    const result = await request({
      run: async () => {
        throw new InferenceUpstreamError('3040: Capacity temporarily exceeded');
      },
    });
    expect(result.record.outcome).toBe('http_error');
    expect(result.record.status).toBe(500);
    expect(result.record.error).toMatch(/InferenceUpstreamError: 3040: Capacity temporarily exceeded/);
  });

  it('a stream without [DONE] is truncated', async () => {
    const result = await request(standIn(EVENTS.slice(0, 3), 1));
    expect(result.record.outcome).toBe('truncated');
  });
});

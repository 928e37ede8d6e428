import { describe, expect, it } from 'vitest';
import { createEventFrameSplitter, stringHeader } from '../stream/aws-event-frames.ts';
import { bedrockConverseAdapter, decodeBedrockFrame } from '../stream/bedrock-converse-adapter.ts';
import { type StreamResult, streamRequest } from '../stream/stream-request.ts';
import type { DecodedEvent, TargetAdapter } from '../stream/target-adapter.ts';
import { parseTarget, type TargetInput } from '../stream/target-config.ts';
import { decodeWorkersAiEvent, workersAiAdapter } from '../stream/workers-ai-adapter.ts';
import { TOKEN_TEXT } from './sim-chunks.ts';
import type { SimConfigInput } from './sim-config.ts';
import { simHarness, simRequest, words } from './sim-test-kit.ts';

// The simulator's Workers AI and Bedrock protocols (the hosted-provider SSE ones: simulator-native.test.ts), read back through the real adapters and the
// streaming loop on the simulator's virtual clock.

const fast = { prefill_base_ms: 5, prefill_us_per_token: 0, decode_ms_per_token: 5 };

const WORKERS_AI: TargetInput = {
  api: 'workers-ai',
  base_url: 'http://sim.test/sim/accounts/abc/ai',
  model: '@cf/meta/llama-3.1-8b-instruct',
};
const BEDROCK: TargetInput = {
  api: 'bedrock-converse',
  base_url: 'http://sim.test/sim',
  model: 'amazon.nova-lite-v1:0',
  aws: { region: 'us-east-1', access_key_id_secret: 'K', secret_access_key_secret: 'S' },
};

async function measure(
  adapter: TargetAdapter,
  target: TargetInput,
  config: SimConfigInput,
  sim: Record<string, unknown> = {},
): Promise<StreamResult> {
  const { sim: simulator, clock } = simHarness({ ...fast, ...config });
  return streamRequest({
    fetch: ((url: string, init: RequestInit) => simulator.handle(new Request(url, init))) as typeof fetch,
    nowMs: clock.nowMs,
    adapter,
    target: parseTarget({ ...target, extra_body: { sim } }),
    secret: (name) => (name === 'K' ? 'AKIDEXAMPLE' : 'secret'),
    id: 'r1',
    prompt: words(12),
    promptTokens: 99,
    maxTokens: 8,
    timeoutMs: 60_000,
    collectText: true,
  });
}

describe('simulator: Workers AI protocol (/ai/run/{model})', () => {
  it('streams response chunks, a reasoning phase, final usage and [DONE]', async () => {
    const result = await measure(workersAiAdapter, WORKERS_AI, { reasoning_tokens: 3, tokens_per_chunk: 2 });
    expect(result.record.outcome).toBe('ok');
    expect(result.record.output_tokens).toBe(8);
    expect(result.record.prompt_tokens).toBe(12); // the simulator's usage, not the generator's count
    expect(result.record.token_count_source).toBe('usage_final');
    expect(result.text).toBe(TOKEN_TEXT.repeat(8));
  });

  it('marks the first reasoning_tokens tokens as reasoning', async () => {
    const { sim } = simHarness({ ...fast, reasoning_tokens: 3, tokens_per_chunk: 2 });
    const res = await sim.handle(
      simRequest('/sim/ai/run/@cf/x/y', {
        messages: [{ role: 'user', content: 'a b' }],
        stream: true,
        max_tokens: 6,
      }),
    );
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => decodeWorkersAiEvent(e.slice('data: '.length), undefined));
    const tokens = events.filter((d) => d.tokenEvents > 0);
    const reasoning = tokens.filter((d) => d.reasoning).map((d) => d.text);
    expect(reasoning.join('')).toBe(TOKEN_TEXT.repeat(3));
    expect(tokens.map((d) => d.text).join('')).toBe(TOKEN_TEXT.repeat(6));
    expect(events.at(-1)?.end).toBe(true);
  });

  it('an in-stream fault ends the stream without [DONE]: truncated', async () => {
    const result = await measure(workersAiAdapter, WORKERS_AI, { errors: { in_stream_rate: 1 } });
    expect(result.record.outcome).toBe('truncated');
    expect(result.record.output_tokens).toBeGreaterThan(0);
  });
});

describe('simulator: Bedrock protocol (/model/{id}/converse-stream)', () => {
  it('streams binary frames: deltas, messageStop, metadata with usage and latency', async () => {
    const result = await measure(bedrockConverseAdapter, BEDROCK, {});
    expect(result.record.outcome).toBe('ok');
    expect(result.record.output_tokens).toBe(8);
    expect(result.record.prompt_tokens).toBe(12);
    expect(result.finishReason).toBe('max_tokens');
    expect(result.serverLatencyMs).toBeGreaterThanOrEqual(5 + 7 * 5);
  });

  it('puts the reasoning phase in reasoningContent deltas of block 0', async () => {
    const { sim } = simHarness({ ...fast, reasoning_tokens: 2 });
    const res = await sim.handle(
      simRequest('/sim/model/m1/converse-stream', {
        messages: [{ role: 'user', content: [{ text: 'a b c' }] }],
        inferenceConfig: { maxTokens: 5 },
      }),
    );
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const types: string[] = [];
    const decoded: DecodedEvent[] = [];
    const splitter = createEventFrameSplitter(1 << 20);
    splitter.push(new Uint8Array(await res.arrayBuffer()), (m) => {
      types.push(stringHeader(m, ':event-type') ?? '?');
      decoded.push(decodeBedrockFrame(m));
    });
    expect(splitter.end()).toBeUndefined();
    expect(types[0]).toBe('messageStart');
    expect(types.slice(-2)).toEqual(['messageStop', 'metadata']);
    const tokens = decoded.filter((d) => d.tokenEvents > 0);
    expect(tokens.map((d) => d.reasoning === true)).toEqual([true, true, false, false, false]);
    expect(decoded.at(-1)?.usage).toEqual({ promptTokens: 3, completionTokens: 5 });
  });

  it('throttling and error exception frames map to rate_limited and stream_error', async () => {
    const throttled = await measure(bedrockConverseAdapter, BEDROCK, {
      errors: { in_stream_rate: 1, in_stream_type: 'throttling' },
    });
    expect(throttled.record.outcome).toBe('rate_limited');
    expect(throttled.record.error).toMatch(/throttlingException/);
    const failed = await measure(bedrockConverseAdapter, BEDROCK, {}, { errors: { in_stream_rate: 1 } });
    expect(failed.record.outcome).toBe('stream_error');
    expect(failed.record.error).toMatch(/modelStreamErrorException/);
  });
});

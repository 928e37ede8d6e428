import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../testing/fake-clock.ts';
import { openAiChatAdapter } from './openai-chat-adapter.ts';
import { streamRequest } from './stream-request.ts';
import { parseTarget } from './target-config.ts';
import { buildTranscript, memoryFetch, SAMPLE_CHAT_PIECES } from './testing/transcripts.ts';

const decoder = openAiChatAdapter.createEventDecoder();
const chunk = (delta: unknown, finish_reason: string | null = null) =>
  JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason }] });

describe('openAiChatAdapter', () => {
  it('sends the prompt as one user message to /chat/completions', () => {
    const target = parseTarget({ api: 'openai-chat', base_url: 'https://api.example.com/v1', model: 'm' });
    const { url, init } = openAiChatAdapter.buildRequest({
      target,
      requestId: 'r',
      prompt: 'Hello',
      maxTokens: 5,
    });
    expect(url).toBe('https://api.example.com/v1/chat/completions');
    expect(JSON.parse(init.body).messages).toEqual([{ role: 'user', content: 'Hello' }]);
  });

  it.each([
    ['content', { content: 'Hi' }, 'Hi'],
    ['whitespace content', { content: ' ' }, ' '],
    ['newline content', { content: '\n' }, '\n'],
    ['vLLM reasoning', { reasoning: 'hmm', content: null }, 'hmm'],
    ['DeepSeek/SGLang reasoning_content', { reasoning_content: 'hmm' }, 'hmm'],
    ['Together both names', { reasoning: 'a', reasoning_content: 'a' }, 'a'],
    ['refusal', { refusal: 'I cannot' }, 'I cannot'],
    [
      'tool call name',
      { tool_calls: [{ index: 0, id: 't', function: { name: 'get', arguments: '' } }] },
      'get',
    ],
    ['tool call arguments', { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }, '{"a":'],
    [
      'Mistral thinking parts',
      {
        content: [
          { type: 'thinking', thinking: [{ type: 'text', text: 'th' }] },
          { type: 'text', text: 'x' },
        ],
      },
      'thx',
    ],
  ])('counts %s as a token event', (_name, delta, text) => {
    expect(decoder.decode(chunk(delta), undefined)).toMatchObject({ tokenEvents: 1, text });
  });

  it.each([
    ['role-only chunk', { role: 'assistant', content: '' }],
    ['null content', { role: 'assistant', content: null }],
    ['empty delta', {}],
    ['empty reasoning', { reasoning: '', reasoning_content: '' }],
    ['tool call without text', { tool_calls: [{ index: 0, id: 't', type: 'function' }] }],
    ['empty content parts', { content: [] }],
  ])('does not count a %s', (_name, delta) => {
    expect(decoder.decode(chunk(delta), undefined).tokenEvents).toBe(0);
  });

  it('does not count a chunk without delta or choices (Azure prompt_filter_results)', () => {
    expect(
      decoder.decode(JSON.stringify({ choices: [], prompt_filter_results: [{}] }), undefined).tokenEvents,
    ).toBe(0);
    expect(decoder.decode(JSON.stringify({ choices: [{ index: 0 }] }), undefined).tokenEvents).toBe(0);
  });

  it('reports the finish reason', () => {
    expect(decoder.decode(chunk({}, 'length'), undefined)).toMatchObject({
      tokenEvents: 0,
      finishReason: 'length',
    });
    expect(decoder.decode(chunk({ content: 'x' }, 'stop'), undefined)).toMatchObject({
      tokenEvents: 1,
      finishReason: 'stop',
    });
  });

  it('reads continuous usage next to a token', () => {
    const data = JSON.stringify({
      choices: [{ index: 0, delta: { content: 'x' } }],
      usage: { prompt_tokens: 3, completion_tokens: 7 },
    });
    expect(decoder.decode(data, undefined)).toMatchObject({
      tokenEvents: 1,
      usage: { promptTokens: 3, completionTokens: 7 },
    });
  });
});

describe('the reasoning split of chat deltas', () => {
  it.each([
    ['vLLM reasoning', { reasoning: 'hm', content: null }, true],
    ['DeepSeek reasoning_content', { reasoning_content: 'hm' }, true],
    ['reasoning with an empty content', { reasoning_content: 'hm', content: '' }, true],
    ['answer text', { content: 'x' }, undefined],
    ['reasoning and answer in one delta', { reasoning: 'a', content: 'b' }, undefined],
    ['a tool call', { tool_calls: [{ index: 0, function: { arguments: '{' } }] }, undefined],
    ['a refusal', { refusal: 'no' }, undefined],
  ])('%s: reasoning %s', (_name, delta, reasoning) => {
    const d = decoder.decode(chunk(delta), undefined);
    expect(d.tokenEvents).toBe(1);
    expect(d.reasoning).toBe(reasoning);
  });

  it('a stream that reasons first records the first reasoning and first visible reads', async () => {
    const t = buildTranscript({ api: 'openai-chat', pieces: SAMPLE_CHAT_PIECES });
    const enc = new TextEncoder();
    const { record } = await streamRequest({
      fetch: memoryFetch(t.sse.split(/(?<=\n\n)/).map((e) => enc.encode(e))),
      nowMs: createFakeClock({ stepMs: 1 }).nowMs,
      adapter: openAiChatAdapter,
      target: parseTarget({ api: 'openai-chat', base_url: 'http://127.0.0.1:9/v1', model: 'm' }),
      id: 'r',
      prompt: 'p',
      promptTokens: 1,
      maxTokens: 64,
      timeoutMs: 10_000,
    });
    expect(record.outcome).toBe('ok');
    // Two reasoning pieces (one read each, after the role chunk's read), then the answer.
    expect(record.first_reasoning_ms).toBe(record.chunks[0]![0]);
    expect(record.first_visible_ms).toBe(record.chunks[2]![0]);
    expect(record.reasoning_tokens).toBeUndefined();
  });
});

describe('chat usage details', () => {
  it("reads OpenAI's reasoning_tokens and cached_tokens when reported", () => {
    const d = decoder.decode(
      JSON.stringify({
        choices: [],
        usage: {
          prompt_tokens: 30,
          completion_tokens: 50,
          completion_tokens_details: { reasoning_tokens: 40 },
          prompt_tokens_details: { cached_tokens: 16 },
        },
      }),
      undefined,
    );
    expect(d.usage).toEqual({
      promptTokens: 30,
      completionTokens: 50,
      reasoningTokens: 40,
      cachedPromptTokens: 16,
    });
  });
});

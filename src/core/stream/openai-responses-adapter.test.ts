import { describe, expect, it } from 'vitest';
import { decodeResponsesEvent, openAiResponsesAdapter } from './openai-responses-adapter.ts';
import { parseTarget } from './target-config.ts';

const target = (extra: Record<string, unknown> = {}) =>
  parseTarget({ api: 'openai-responses', base_url: 'https://api.openai.com/v1', model: 'o-x', ...extra });
const decode = (data: Record<string, unknown>) =>
  decodeResponsesEvent(JSON.stringify(data), data.type as string);

describe('openAiResponsesAdapter.buildRequest', () => {
  it('POSTs /v1/responses with input, max_output_tokens, store false and a bearer key', () => {
    const { url, init } = openAiResponsesAdapter.buildRequest({
      target: target({ extra_body: { reasoning: { effort: 'low', summary: 'auto' } } }),
      apiKey: 'sk-k',
      requestId: 'r1',
      prompt: 'Hi',
      maxTokens: 50,
    });
    expect(url).toBe('https://api.openai.com/v1/responses');
    expect(init.headers.authorization).toBe('Bearer sk-k');
    expect(JSON.parse(init.body)).toEqual({
      store: false,
      reasoning: { effort: 'low', summary: 'auto' },
      model: 'o-x',
      input: 'Hi',
      max_output_tokens: 50,
      stream: true,
    });
  });

  it('keeps a store the config asks for, and refuses body keys the client writes', () => {
    const { init } = openAiResponsesAdapter.buildRequest({
      target: target({ extra_body: { store: true } }),
      requestId: 'r',
      prompt: 'p',
      maxTokens: 1,
    });
    expect(JSON.parse(init.body).store).toBe(true);
    expect(() => target({ extra_body: { max_output_tokens: 5 } })).toThrow(/max_output_tokens/);
  });
});

describe('decodeResponsesEvent', () => {
  it('answer text, refusals and tool arguments are visible; summaries and raw reasoning are reasoning', () => {
    expect(decode({ type: 'response.output_text.delta', delta: ' ' })).toEqual({ tokenEvents: 1, text: ' ' });
    expect(decode({ type: 'response.refusal.delta', delta: 'no' }).tokenEvents).toBe(1);
    expect(decode({ type: 'response.function_call_arguments.delta', delta: '{' }).tokenEvents).toBe(1);
    expect(decode({ type: 'response.reasoning_summary_text.delta', delta: 'hm' })).toEqual({
      tokenEvents: 1,
      text: 'hm',
      reasoning: true,
    });
    expect(decode({ type: 'response.reasoning_text.delta', delta: 'r' }).reasoning).toBe(true);
  });

  it.each([
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.output_text.done',
  ])('does not count %s', (type) => {
    expect(decode({ type, response: {} }).tokenEvents).toBe(0);
  });

  it('reads usage, reasoning and cached counts from the terminal event', () => {
    const d = decode({
      type: 'response.incomplete',
      response: {
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
        usage: {
          input_tokens: 100,
          input_tokens_details: { cached_tokens: 64 },
          output_tokens: 50,
          output_tokens_details: { reasoning_tokens: 48 },
        },
      },
    });
    expect(d).toEqual({
      tokenEvents: 0,
      end: true,
      usage: { promptTokens: 100, completionTokens: 50, reasoningTokens: 48, cachedPromptTokens: 64 },
      finishReason: 'max_output_tokens',
    });
  });

  it('response.failed is an end with an error; error events flat or nested are typed by code', () => {
    const failed = decode({
      type: 'response.failed',
      response: { status: 'failed', error: { code: 'server_error', message: 'x' } },
    });
    expect(failed.end).toBe(true);
    expect(failed.error?.kind).toBe('stream_error');
    expect(decode({ type: 'error', code: 'rate_limit_exceeded', message: 'slow' }).error?.kind).toBe(
      'rate_limited',
    );
    expect(
      decode({ type: 'error', error: { type: 'server_error', code: 'x', message: 'y' } }).error?.kind,
    ).toBe('stream_error');
  });
});

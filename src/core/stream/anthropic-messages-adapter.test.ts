import { describe, expect, it } from 'vitest';
import {
  ANTHROPIC_VERSION,
  anthropicMessagesAdapter,
  decodeAnthropicEvent,
} from './anthropic-messages-adapter.ts';
import { parseTarget } from './target-config.ts';

const target = (extra: Record<string, unknown> = {}) =>
  parseTarget({
    api: 'anthropic-messages',
    base_url: 'https://api.anthropic.com/v1',
    model: 'claude-x',
    ...extra,
  });
const decode = (data: unknown) => decodeAnthropicEvent(JSON.stringify(data), undefined);

describe('anthropicMessagesAdapter.buildRequest', () => {
  it('POSTs /v1/messages with max_tokens, the key in x-api-key and the API version', () => {
    const { url, init } = anthropicMessagesAdapter.buildRequest({
      target: target({ extra_body: { thinking: { type: 'enabled', budget_tokens: 1024 } } }),
      apiKey: 'sk-ant-k',
      requestId: 'r1',
      prompt: 'Hello there',
      maxTokens: 77,
    });
    expect(url).toBe('https://api.anthropic.com/v1/messages');
    expect(init.headers['x-api-key']).toBe('sk-ant-k');
    expect(init.headers.authorization).toBeUndefined();
    expect(init.headers['anthropic-version']).toBe(ANTHROPIC_VERSION);
    expect(JSON.parse(init.body)).toEqual({
      thinking: { type: 'enabled', budget_tokens: 1024 },
      model: 'claude-x',
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 77,
      stream: true,
    });
  });

  it('lets extra_headers pick another anthropic-version (and beta headers)', () => {
    const { init } = anthropicMessagesAdapter.buildRequest({
      target: target({ extra_headers: { 'Anthropic-Version': '2099-01-01', 'anthropic-beta': 'x' } }),
      requestId: 'r1',
      prompt: 'p',
      maxTokens: 1,
    });
    expect(init.headers['anthropic-version']).toBe('2099-01-01');
    expect(init.headers['anthropic-beta']).toBe('x');
  });

  it('refuses ignore_eos and a key in extra_headers', () => {
    expect(() => target({ ignore_eos: true })).toThrow(/ignore_eos is not available/);
    expect(() => target({ extra_headers: { 'X-Api-Key': 'k' } })).toThrow(/x-api-key/);
  });
});

describe('decodeAnthropicEvent', () => {
  it('takes the prompt (with cache reads and writes) from message_start but not its placeholder output', () => {
    const d = decode({
      type: 'message_start',
      message: {
        usage: {
          input_tokens: 10,
          cache_read_input_tokens: 30,
          cache_creation_input_tokens: 5,
          output_tokens: 1,
        },
      },
    });
    expect(d.usage).toEqual({ promptTokens: 45, cachedPromptTokens: 30 });
    expect(d.tokenEvents).toBe(0);
  });

  it('reads the cumulative output and the stop reason from message_delta', () => {
    expect(
      decode({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9 } }),
    ).toEqual({
      tokenEvents: 0,
      usage: { completionTokens: 9 },
      finishReason: 'max_tokens',
    });
  });

  it.each([
    ['text_delta', { type: 'text_delta', text: ' ' }, ' ', undefined],
    ['thinking_delta', { type: 'thinking_delta', thinking: 'hm' }, 'hm', true],
    ['input_json_delta', { type: 'input_json_delta', partial_json: '{"a"' }, '{"a"', undefined],
  ])('counts a %s', (_n, delta, text, reasoning) => {
    const d = decode({ type: 'content_block_delta', index: 0, delta });
    expect(d).toMatchObject({ tokenEvents: 1, text });
    expect(d.reasoning).toBe(reasoning);
  });

  it.each([
    ['ping', { type: 'ping' }],
    [
      'signature_delta',
      { type: 'content_block_delta', delta: { type: 'signature_delta', signature: 'abc' } },
    ],
    ['empty text', { type: 'content_block_delta', delta: { type: 'text_delta', text: '' } }],
    ['empty text block start', { type: 'content_block_start', content_block: { type: 'text', text: '' } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['an unknown event', { type: 'future_event' }],
  ])('does not count %s', (_n, data) => {
    expect(decode(data).tokenEvents).toBe(0);
  });

  it('counts a redacted thinking block (whole, unreadable) as reasoning', () => {
    expect(
      decode({ type: 'content_block_start', content_block: { type: 'redacted_thinking', data: 'x' } }),
    ).toEqual({
      tokenEvents: 1,
      reasoning: true,
    });
  });

  it('ends at message_stop and classifies error events by type', () => {
    expect(decode({ type: 'message_stop' }).end).toBe(true);
    expect(
      decode({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }).error?.kind,
    ).toBe('rate_limited');
    expect(
      decode({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }).error?.kind,
    ).toBe('rate_limited');
    expect(decode({ type: 'error', error: { type: 'api_error', message: 'boom' } }).error).toEqual({
      kind: 'stream_error',
      message: 'in-stream error api_error: boom',
    });
    expect(decodeAnthropicEvent('{not json', 'content_block_delta').error?.kind).toBe('stream_error');
  });
});

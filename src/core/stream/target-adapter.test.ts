import { describe, expect, it } from 'vitest';
import { openAiChatAdapter } from './openai-chat-adapter.ts';
import { openAiCompletionsAdapter } from './openai-completions-adapter.ts';
import { endpointUrl } from './target-adapter.ts';
import { parseTarget } from './target-config.ts';

// Behaviour shared by the OpenAI-compatible adapters: request shape, end marker, errors, usage.

const chat = openAiChatAdapter.createEventDecoder();
const completions = openAiCompletionsAdapter.createEventDecoder();
const decoders = [
  ['chat', chat],
  ['completions', completions],
] as const;

const target = (extra: Record<string, unknown> = {}) =>
  parseTarget({ api: 'openai-chat', base_url: 'http://127.0.0.1:9/v1/', model: 'm', ...extra });

describe('buildRequest (shared)', () => {
  it('always streams with usage, sets the id, accept and auth headers', () => {
    const { url, init } = openAiChatAdapter.buildRequest({
      target: target(),
      apiKey: 'sk-test',
      requestId: 'req-1',
      prompt: 'hi',
      maxTokens: 32,
    });
    expect(url).toBe('http://127.0.0.1:9/v1/chat/completions');
    expect(init.method).toBe('POST');
    expect(init.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'x-request-id': 'req-1',
      authorization: 'Bearer sk-test',
    });
    const body = JSON.parse(init.body);
    expect(body).toMatchObject({
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 32,
    });
    expect(body.stream_options.continuous_usage_stats).toBeUndefined();
    expect(body.ignore_eos).toBeUndefined();
  });

  it('omits authorization without a key', () => {
    const { init } = openAiChatAdapter.buildRequest({
      target: target(),
      requestId: 'r',
      prompt: 'p',
      maxTokens: 1,
    });
    expect(Object.keys(init.headers)).not.toContain('authorization');
  });

  it('applies continuous_usage, ignore_eos, max_tokens_field, extra_body and extra_headers', () => {
    const t = target({
      continuous_usage: true,
      ignore_eos: true,
      max_tokens_field: 'max_completion_tokens',
      extra_body: { temperature: 0, stream_options: { include_obfuscation: false, include_usage: false } },
      extra_headers: { 'X-Custom': 'a', Accept: 'text/event-stream; q=1' },
    });
    const { init } = openAiCompletionsAdapter.buildRequest({
      target: t,
      requestId: 'r',
      prompt: 'p',
      maxTokens: 64,
    });
    const body = JSON.parse(init.body);
    expect(body).toMatchObject({
      prompt: 'p',
      temperature: 0,
      ignore_eos: true,
      min_tokens: 64,
      max_completion_tokens: 64,
      stream_options: { include_obfuscation: false, include_usage: true, continuous_usage_stats: true },
    });
    expect(body.max_tokens).toBeUndefined();
    expect(init.headers['x-custom']).toBe('a');
    expect(init.headers.accept).toBe('text/event-stream; q=1');
    expect(Object.keys(init.headers).filter((k) => k.toLowerCase() === 'accept')).toHaveLength(1);
  });

  it('appends the endpoint to the path and keeps a query string', () => {
    expect(endpointUrl('https://h/openai?api-version=1', '/chat/completions')).toBe(
      'https://h/openai/chat/completions?api-version=1',
    );
    expect(endpointUrl('http://h:8000', '/completions')).toBe('http://h:8000/completions');
  });
});

describe.each(decoders)('%s decoder: protocol events', (_name, decoder) => {
  it('recognizes [DONE] without parsing it', () => {
    expect(decoder.decode('[DONE]', undefined)).toMatchObject({ end: true, tokenEvents: 0 });
  });

  it('turns unparseable data into a stream_error', () => {
    expect(decoder.decode('{"choices": [', undefined).error?.kind).toBe('stream_error');
    expect(decoder.decode('42', undefined).error?.kind).toBe('stream_error');
  });

  it('reads usage from usage-only chunks whatever their choices shape', () => {
    const usage = { prompt_tokens: 9, completion_tokens: 31, total_tokens: 40 };
    for (const choices of [[], null, undefined]) {
      const d = decoder.decode(JSON.stringify({ id: 'x', choices, usage }), undefined);
      expect(d).toMatchObject({ tokenEvents: 0, usage: { promptTokens: 9, completionTokens: 31 } });
      expect(d.error).toBeUndefined();
    }
    expect(decoder.decode(JSON.stringify({ choices: [], usage: null }), undefined).usage).toBeUndefined();
    expect(decoder.decode(JSON.stringify({ x_groq: { usage } }), undefined).usage?.completionTokens).toBe(31);
  });

  it.each([
    [{ error: { message: 'boom', type: 'server_error', code: null } }, 'stream_error', /boom/],
    [
      { error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } },
      'rate_limited',
      /slow/,
    ],
    [{ error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } }, 'rate_limited', /429/],
    [{ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }, 'stream_error', /503/],
    [{ object: 'error', message: 'bad', type: 'BadRequestError', code: 400 }, 'stream_error', /bad/],
    [{ error: 'Model overloaded', error_type: 'overloaded' }, 'stream_error', /overloaded/],
    [{ x_groq: { error: 'internal' } }, 'stream_error', /internal/],
    [
      {
        id: 'x',
        error: { code: 502, message: 'upstream' },
        choices: [{ delta: { content: '' }, finish_reason: 'error' }],
      },
      'stream_error',
      /upstream/,
    ],
  ])('classifies in-stream error %j', (payload, kind, message) => {
    const d = decoder.decode(JSON.stringify(payload), undefined);
    expect(d.error?.kind).toBe(kind);
    expect(d.error?.message).toMatch(message);
    expect(d.tokenEvents).toBe(0);
  });

  it('treats any `event: error` as an error, rate limits included', () => {
    const d = decoder.decode(
      JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'x' } }),
      'error',
    );
    expect(d.error?.kind).toBe('rate_limited');
    expect(decoder.decode(JSON.stringify({ code: 'server_error', message: 'y' }), 'error').error?.kind).toBe(
      'stream_error',
    );
  });

  it('bounds long error messages', () => {
    const d = decoder.decode(JSON.stringify({ error: { message: 'x'.repeat(5000) } }), undefined);
    expect(d.error!.message.length).toBeLessThan(400);
  });
});

import { describe, expect, it } from 'vitest';
import { decodeGeminiEvent, geminiAdapter } from './gemini-adapter.ts';
import { parseTarget } from './target-config.ts';

const target = (extra: Record<string, unknown> = {}) =>
  parseTarget({
    api: 'gemini',
    base_url: 'https://generativelanguage.googleapis.com/v1beta',
    model: 'gemini-x',
    ...extra,
  });
const decode = (data: unknown) => decodeGeminiEvent(JSON.stringify(data), undefined);
const parts = (...p: unknown[]) => ({ candidates: [{ content: { role: 'model', parts: p }, index: 0 }] });

describe('geminiAdapter.buildRequest', () => {
  it('POSTs :streamGenerateContent?alt=sse with the key in x-goog-api-key, never in the URL', () => {
    const { url, init } = geminiAdapter.buildRequest({
      target: target({ extra_body: { generationConfig: { thinkingConfig: { includeThoughts: true } } } }),
      apiKey: 'AIzaSecretKey0123456789',
      requestId: 'r1',
      prompt: 'Hi',
      maxTokens: 33,
    });
    expect(url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-x:streamGenerateContent?alt=sse',
    );
    expect(url).not.toContain('AIza');
    expect(init.headers['x-goog-api-key']).toBe('AIzaSecretKey0123456789');
    expect(JSON.parse(init.body)).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
      generationConfig: { thinkingConfig: { includeThoughts: true }, maxOutputTokens: 33 },
    });
  });

  it('refuses a key in the base URL query or headers', () => {
    expect(() => target({ base_url: 'https://g.example/v1beta?key=abc' })).toThrow(/credential/);
    expect(() => target({ extra_headers: { 'x-goog-api-key': 'k' } })).toThrow(/x-goog-api-key/);
  });
});

describe('decodeGeminiEvent', () => {
  it('thought parts are reasoning, the others answer text', () => {
    expect(decode(parts({ text: 'hm', thought: true }))).toEqual({
      tokenEvents: 1,
      text: 'hm',
      reasoning: true,
    });
    expect(decode(parts({ text: ' ' }))).toEqual({ tokenEvents: 1, text: ' ' });
    // Both in one event: visible (its read is the first visible token).
    expect(decode(parts({ text: 'a', thought: true }, { text: 'b' })).reasoning).toBeUndefined();
  });

  it('output = candidates + thoughts from the running usageMetadata; cached and reasoning apart', () => {
    const d = decode({
      ...parts({ text: 'x' }),
      usageMetadata: {
        promptTokenCount: 20,
        candidatesTokenCount: 3,
        thoughtsTokenCount: 40,
        cachedContentTokenCount: 16,
        totalTokenCount: 63,
      },
    });
    expect(d.usage).toEqual({
      promptTokens: 20,
      completionTokens: 43,
      reasoningTokens: 40,
      cachedPromptTokens: 16,
    });
  });

  it('a chunk with only promptFeedback is not a token; a blockReason is a stream error', () => {
    expect(decode({ promptFeedback: { safetyRatings: [] } }).tokenEvents).toBe(0);
    expect(decode({ promptFeedback: { blockReason: 'SAFETY' } }).error).toEqual({
      kind: 'stream_error',
      message: 'prompt blocked: SAFETY',
    });
  });

  it('maps the error shape: RESOURCE_EXHAUSTED is a rate limit, UNAVAILABLE a stream error', () => {
    expect(decode({ error: { code: 429, message: 'q', status: 'RESOURCE_EXHAUSTED' } }).error?.kind).toBe(
      'rate_limited',
    );
    expect(decode({ error: { code: 503, message: 'busy', status: 'UNAVAILABLE' } }).error?.kind).toBe(
      'stream_error',
    );
  });

  it('reads the finish reason (the stream then ends at EOF)', () => {
    const d = decode({ candidates: [{ content: { parts: [{ text: '' }] }, finishReason: 'MAX_TOKENS' }] });
    expect(d).toEqual({ tokenEvents: 0, finishReason: 'MAX_TOKENS' });
    expect(geminiAdapter.endsAtEof).toBe(true);
  });
});

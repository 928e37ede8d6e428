import { describe, expect, it } from 'vitest';
import { openAiCompletionsAdapter } from './openai-completions-adapter.ts';
import { parseTarget } from './target-config.ts';

const decoder = openAiCompletionsAdapter.createEventDecoder();
const chunk = (choice: Record<string, unknown>) =>
  JSON.stringify({ id: 'c', object: 'text_completion', choices: [{ index: 0, ...choice }] });

describe('openAiCompletionsAdapter', () => {
  it('sends the raw prompt to /completions', () => {
    const target = parseTarget({
      api: 'openai-completions',
      base_url: 'http://127.0.0.1:8000/v1',
      model: 'm',
    });
    const { url, init } = openAiCompletionsAdapter.buildRequest({
      target,
      requestId: 'r',
      prompt: 'Once',
      maxTokens: 5,
    });
    expect(url).toBe('http://127.0.0.1:8000/v1/completions');
    const body = JSON.parse(init.body);
    expect(body.prompt).toBe('Once');
    expect(body.messages).toBeUndefined();
  });

  it('counts non-empty text, whitespace included', () => {
    expect(decoder.decode(chunk({ text: ' upon' }), undefined)).toMatchObject({
      tokenEvents: 1,
      text: ' upon',
    });
    expect(decoder.decode(chunk({ text: ' ' }), undefined).tokenEvents).toBe(1);
  });

  it('does not count empty or missing text', () => {
    expect(decoder.decode(chunk({ text: '' }), undefined).tokenEvents).toBe(0);
    expect(decoder.decode(chunk({ text: null }), undefined).tokenEvents).toBe(0);
    expect(decoder.decode(chunk({ delta: { content: 'chat-shaped' } }), undefined).tokenEvents).toBe(0);
  });

  it('reports the finish reason of the last chunk', () => {
    expect(decoder.decode(chunk({ text: '', finish_reason: 'length' }), undefined).finishReason).toBe(
      'length',
    );
  });
});

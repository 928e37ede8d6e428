import { exports } from 'cloudflare:workers';
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';

const url = 'http://fluidbench.test/sim/v1/chat/completions';
const body = {
  model: 'fluidbench-sim',
  messages: [{ role: 'user', content: ' one two three four' }],
  max_tokens: 5,
  stream: true,
  stream_options: { include_usage: true },
  sim: { prefill_base_ms: 1, decode_ms_per_token: 1, jitter: 0 },
};

describe('the built-in simulator served by the Worker', () => {
  it('streams an OpenAI chat completion with usage and [DONE] when given the SIM_API_KEY', async () => {
    const res = await exports.default.fetch(url, {
      method: 'POST',
      headers: { authorization: 'Bearer test-sim-key', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const data: string[] = [];
    const parser = createParser({ onEvent: (e) => data.push(e.data) });
    parser.feed(new TextDecoder().decode(await res.arrayBuffer()));
    expect(data[data.length - 1]).toBe('[DONE]');
    const chunks = data.slice(0, -1).map(
      (d) =>
        JSON.parse(d) as {
          choices: { delta?: { content?: string } }[];
          usage?: { prompt_tokens: number; completion_tokens: number };
        },
    );
    expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBe(5);
    expect(chunks[chunks.length - 1]?.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 5 });
  });

  it('refuses a request without the key, and needs no control token', async () => {
    const res = await exports.default.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(401);
  });

  it.each([
    [
      'Anthropic Messages',
      '/sim/v1/messages',
      { 'x-api-key': 'test-sim-key' },
      { model: 'm', max_tokens: 3, messages: [{ role: 'user', content: 'a b' }], stream: true },
      'message_stop',
    ],
    [
      'OpenAI Responses',
      '/sim/v1/responses',
      { authorization: 'Bearer test-sim-key' },
      { model: 'm', input: 'a b', max_output_tokens: 3, stream: true },
      'response.incomplete',
    ],
    [
      'Gemini',
      '/sim/v1beta/models/m:streamGenerateContent?alt=sse',
      { 'x-goog-api-key': 'test-sim-key' },
      { contents: [{ parts: [{ text: 'a b' }] }], generationConfig: { maxOutputTokens: 3 } },
      'MAX_TOKENS',
    ],
  ])(
    'speaks %s with the key in its own header, and refuses it without',
    async (_name, path, key, req, last) => {
      const init = (headers: Record<string, string>) => ({
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ ...req, sim: { prefill_base_ms: 1, decode_ms_per_token: 1, jitter: 0 } }),
      });
      const res = await exports.default.fetch(`http://fluidbench.test${path}`, init(key));
      expect(res.status).toBe(200);
      const text = new TextDecoder().decode(await res.arrayBuffer());
      expect(text.trimEnd().split('\n').at(-1)).toContain(last);
      expect((await exports.default.fetch(`http://fluidbench.test${path}`, init({}))).status).toBe(401);
    },
  );
});

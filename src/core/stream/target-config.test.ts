import { describe, expect, it } from 'vitest';
import { parseTarget, targetSchema } from './target-config.ts';

const minimal = { api: 'openai-chat', base_url: 'https://api.openai.com/v1', model: 'gpt-4o-mini' };

function issues(input: unknown): string[] {
  const parsed = targetSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('targetSchema', () => {
  it('fills defaults', () => {
    expect(parseTarget(minimal)).toEqual({
      ...minimal,
      extra_body: {},
      extra_headers: {},
      continuous_usage: false,
      ignore_eos: false,
      max_tokens_field: 'max_tokens',
    });
  });

  it('accepts loopback URLs with ports and a query string', () => {
    expect(issues({ ...minimal, base_url: 'http://127.0.0.1:8000/v1' })).toEqual([]);
    expect(issues({ ...minimal, base_url: 'http://localhost:8000' })).toEqual([]);
    expect(
      issues({ ...minimal, base_url: 'https://x.openai.azure.com/openai?api-version=2024-10-21' }),
    ).toEqual([]);
  });

  it('rejects non-http URLs, credentials and fragments', () => {
    expect(issues({ ...minimal, base_url: 'ftp://example.com/v1' })).toHaveLength(1);
    expect(issues({ ...minimal, base_url: 'not a url' })).toHaveLength(1);
    expect(issues({ ...minimal, base_url: 'https://user:sk-secret@example.com/v1' })[0]).toMatch(
      /credentials/,
    );
    expect(issues({ ...minimal, base_url: 'https://example.com/v1#x' })[0]).toMatch(/fragment/);
    expect(issues({ ...minimal, base_url: 'https://example.com/v1?key=AIza123' })[0]).toMatch(/credential/);
    expect(issues({ ...minimal, base_url: 'https://example.com/v1?api-version=2024-10-21' })).toEqual([]);
  });

  it('takes the NAME of a secret, never a key', () => {
    expect(issues({ ...minimal, api_key_secret: 'OPENAI_API_KEY' })).toEqual([]);
    expect(issues({ ...minimal, api_key_secret: 'sk-proj-abc123' })[0]).toMatch(/env var name/);
    expect(issues({ ...minimal, api_key_secret: 'lower_case' })).toHaveLength(1);
    expect(issues({ ...minimal, api_key_secret: `A${'B'.repeat(64)}` })).toHaveLength(1);
  });

  it('reports every reserved body key and header at once', () => {
    const found = issues({
      ...minimal,
      model: '',
      extra_body: { model: 'x', stream: false, messages: [], prompt: 'p', max_tokens: 3, temperature: 0 },
      extra_headers: {
        Authorization: 'Bearer k',
        'Content-Length': '1',
        HOST: 'h',
        'X-Request-Id': 'r',
        'x-ok': 'v',
      },
    });
    for (const key of ['model', 'stream', 'messages', 'prompt', 'max_tokens'])
      expect(found.some((f) => f.startsWith(`extra_body.${key}:`))).toBe(true);
    for (const name of ['Authorization', 'Content-Length', 'HOST', 'X-Request-Id'])
      expect(found.some((f) => f.startsWith(`extra_headers.${name}:`))).toBe(true);
    expect(found.some((f) => f.startsWith('model:'))).toBe(true);
    expect(found).toHaveLength(10);
    expect(found.find((f) => f.startsWith('extra_headers.Authorization'))).toMatch(/api_key_secret/);
  });

  it('rejects header names and values fetch would refuse', () => {
    expect(issues({ ...minimal, extra_headers: { 'bad header': 'v' } })).toHaveLength(1);
    expect(issues({ ...minimal, extra_headers: { 'x-a': 'line\r\nx-b: injected' } })).toHaveLength(1);
  });

  it('accepts JSON extra_body values and rejects unknown keys and apis', () => {
    expect(
      issues({ ...minimal, extra_body: { temperature: 0, stop: ['\n'], logit_bias: { '1': -100 } } }),
    ).toEqual([]);
    expect(issues({ ...minimal, api: 'anthropic' })).toHaveLength(1);
    expect(issues({ ...minimal, apikey: 'x' })).toHaveLength(1);
  });

  it('parseTarget throws one error listing the issues', () => {
    expect(() => parseTarget({ api: 'openai-chat' })).toThrow(/base_url[\s\S]*model/);
  });
});

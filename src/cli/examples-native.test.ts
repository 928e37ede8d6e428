import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunConfig } from './read-run-config.ts';

// The commented example configs of the hosted-provider adapters are valid run configs.

describe.each([
  ['anthropic.jsonc', 'anthropic-messages'],
  ['openai-responses.jsonc', 'openai-responses'],
  ['gemini.jsonc', 'gemini'],
])('examples/%s', (file, api) => {
  it(`is a valid run config for ${api}`, async () => {
    const loaded = await readRunConfig(path.join(import.meta.dirname, '../../examples', file));
    expect(JSON.stringify(loaded)).toContain(`"api":"${api}"`);
  });
});

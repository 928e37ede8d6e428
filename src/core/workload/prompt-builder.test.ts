import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { buildPrompt, countPromptWords } from './prompt-builder.ts';
import { PROMPT_WORDS } from './prompt-words.ts';
import { createRandom } from './seeded-random.ts';

const encoders = { o200k_base: o200k, cl100k_base: cl100k };

describe('PROMPT_WORDS', () => {
  it('holds about 2000 distinct lowercase words, each one token after a space in both vocabularies', () => {
    expect(PROMPT_WORDS.length).toBeGreaterThanOrEqual(1900);
    expect(new Set(PROMPT_WORDS).size).toBe(PROMPT_WORDS.length);
    for (const word of PROMPT_WORDS) {
      expect(word).toMatch(/^[a-z]{3,9}$/);
      for (const [name, encoder] of Object.entries(encoders)) {
        expect(encoder.encode(` ${word}`), `${name}: "${word}"`).toHaveLength(1);
      }
    }
  });

  it('all words in a row are one token each', () => {
    const all = PROMPT_WORDS.map((word) => ` ${word}`).join('');
    for (const encoder of Object.values(encoders))
      expect(encoder.encode(all)).toHaveLength(PROMPT_WORDS.length);
  });
});

describe('buildPrompt', () => {
  it('has exactly the requested number of tokens in o200k_base and cl100k_base', () => {
    const pick = createRandom(2024);
    const lengths = [1, 2, 3, 3000, ...Array.from({ length: 150 }, () => pick.int(1, 3000))];
    lengths.forEach((tokens, i) => {
      const prompt = buildPrompt(tokens, createRandom(i, 3, tokens));
      expect(countPromptWords(prompt)).toBe(tokens);
      for (const [name, encoder] of Object.entries(encoders)) {
        expect(encoder.encode(prompt).length, `${name}, ${tokens} tokens`).toBe(tokens);
      }
    });
  });

  it('is reproducible and unique per stream', () => {
    expect(buildPrompt(50, createRandom(1, 3, 0))).toBe(buildPrompt(50, createRandom(1, 3, 0)));
    const prompts = new Set<string>();
    for (let seq = 0; seq < 500; seq++) prompts.add(buildPrompt(8, createRandom(1, 3, seq)));
    for (let seed = 2; seed < 100; seed++) prompts.add(buildPrompt(8, createRandom(seed, 3, 0)));
    expect(prompts.size).toBe(500 + 98);
  });

  it('builds an empty prompt for 0 tokens and rejects bad lengths', () => {
    expect(buildPrompt(0, createRandom(1))).toBe('');
    expect(() => buildPrompt(-1, createRandom(1))).toThrow(/integer ≥ 0/);
    expect(() => buildPrompt(2.5, createRandom(1))).toThrow(/integer ≥ 0/);
  });
});

describe('countPromptWords', () => {
  it('counts whitespace-separated words', () => {
    expect(countPromptWords('')).toBe(0);
    expect(countPromptWords('   \n\t ')).toBe(0);
    expect(countPromptWords('one')).toBe(1);
    expect(countPromptWords(' alpha  beta\ngamma\tdelta ')).toBe(4);
    expect(countPromptWords('a\u00a0b\u2003c')).toBe(3); // non-ASCII spaces separate too
    expect(countPromptWords('naïve café')).toBe(2);
  });
});

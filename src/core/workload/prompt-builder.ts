import { PROMPT_WORDS } from './prompt-words.ts';
import type { Random } from './seeded-random.ts';

// Prompts of an exact token length without tokenizing (docs/workload.md): every word in
// PROMPT_WORDS is one token in o200k_base and cl100k_base when preceded by a space, and both
// tokenizers split text before each space-led word, so N such words are N tokens. Words are drawn at
// random, so prompts are unique (a provider's prefix cache cannot flatter the results): 2000 words give
// 2^87 choices for just the first 8.

/** A prompt of exactly `tokens` tokens in o200k_base and cl100k_base: `tokens` words, each after a space. */
export function buildPrompt(tokens: number, random: Random): string {
  if (!Number.isSafeInteger(tokens) || tokens < 0) {
    throw new Error(`prompt length must be an integer ≥ 0 tokens, got ${tokens}`);
  }
  const last = PROMPT_WORDS.length - 1;
  const parts = new Array<string>(tokens);
  for (let i = 0; i < tokens; i++) parts[i] = ` ${PROMPT_WORDS[random.int(0, last)]!}`;
  return parts.join('');
}

const WHITESPACE = /\s/;

/** Whitespace-separated words in `text`: the token count of a prompt from buildPrompt. */
export function countPromptWords(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // A char loop, not split(): this runs on every request body in the simulator. Same whitespace as \s.
    const space = code < 128 ? code === 32 || (code >= 9 && code <= 13) : WHITESPACE.test(text.charAt(i));
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}

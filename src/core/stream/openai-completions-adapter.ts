import { openAiStyleAdapter, type TargetAdapter } from './target-adapter.ts';

// Legacy OpenAI Completions (`/v1/completions`), still served by vLLM, SGLang and llama.cpp: the
// raw prompt without a chat template, so prompt lengths are exact. Same usage chunk and end marker.

/** `choices[0].text`, '' when absent or null. */
export function completionPayload(choice: Record<string, unknown>): string {
  return typeof choice.text === 'string' ? choice.text : '';
}

export const openAiCompletionsAdapter: TargetAdapter = openAiStyleAdapter({
  api: 'openai-completions',
  path: '/completions',
  promptBody: (prompt) => ({ prompt }),
  payload: completionPayload,
});

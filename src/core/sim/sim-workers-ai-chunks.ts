import { sseData } from './sim-chunks.ts';

// Workers AI's native text-generation stream (`/ai/run/{model}` with `stream: true`) as the
// simulator sends it: `{"response": "…"}` per chunk (OpenAI-style `reasoning_content` chunks for
// the reasoning phase, as newer Workers AI models send), the final `{"response": "", "usage": …}`,
// then `data: [DONE]`.

export function workersAiToken(text: string, reasoning: boolean): string {
  return sseData(
    reasoning
      ? { choices: [{ index: 0, delta: { reasoning_content: text }, finish_reason: null }] }
      : { response: text, p: 'abcdef' },
  );
}

export function workersAiFinal(promptTokens: number, completionTokens: number): string {
  return sseData({
    response: '',
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  });
}

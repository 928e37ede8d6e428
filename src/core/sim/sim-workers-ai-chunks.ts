import { SSE_DONE, sseData, TOKEN_TEXT } from './sim-chunks.ts';
import { type SimStreamWriter, sseBytes } from './sim-stream-writer.ts';

// Workers AI's native text-generation stream (`/ai/run/{model}` with `stream: true`) as the
// simulator sends it: `{"response": "…"}` per chunk (OpenAI-style `reasoning_content` chunks for
// the reasoning phase, as newer Workers AI models send), the final `{"response": "", "usage": …}`,
// then `data: [DONE]`.

function workersAiToken(text: string, reasoning: boolean): string {
  return sseData(
    reasoning
      ? { choices: [{ index: 0, delta: { reasoning_content: text }, finish_reason: null }] }
      : { response: text, p: 'abcdef' },
  );
}

function workersAiFinal(promptTokens: number, completionTokens: number): string {
  return sseData({
    response: '',
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  });
}

/** One request's stream; Workers AI has no in-stream error event: a failing stream stops without [DONE]. */
export function workersAiWriter(promptTokens: number, outputTokens: number): SimStreamWriter {
  return sseBytes({
    contentType: 'text/event-stream',
    start: () => '',
    chunk(reasoning, answer) {
      let out = '';
      if (reasoning > 0) out += workersAiToken(TOKEN_TEXT.repeat(reasoning), true);
      if (answer > 0) out += workersAiToken(TOKEN_TEXT.repeat(answer), false);
      return out;
    },
    end: () => workersAiFinal(promptTokens, outputTokens) + SSE_DONE,
    error: () => '',
  });
}

import { openAiStyleAdapter, type TargetAdapter } from './target-adapter.ts';

// OpenAI Chat Completions and the many servers that copy it (vLLM, SGLang, llama.cpp, Groq,
// Together, DeepSeek, OpenRouter, …). Every generated channel counts as output
// (docs/streaming.md#what-counts-as-a-token).

/** Text of one Mistral-style content part: `{type:'text', text}` or `{type:'thinking', thinking:[…]}`. */
function partText(part: unknown): string {
  if (typeof part === 'string') return part;
  if (typeof part !== 'object' || part === null) return '';
  const p = part as { text?: unknown; thinking?: unknown };
  if (typeof p.text === 'string') return p.text;
  if (Array.isArray(p.thinking)) return p.thinking.map(partText).join('');
  return typeof p.thinking === 'string' ? p.thinking : '';
}

/** All generated text in one `choices[0].delta`, '' when it carries none (role-only, `null`s, `''`). */
export function chatDeltaPayload(choice: Record<string, unknown>): string {
  const delta = choice.delta;
  if (typeof delta !== 'object' || delta === null) return '';
  const d = delta as Record<string, unknown>;
  let text = '';
  // vLLM renamed reasoning_content to reasoning; Together may send both with the same text.
  const reasoning = typeof d.reasoning === 'string' && d.reasoning !== '' ? d.reasoning : d.reasoning_content;
  if (typeof reasoning === 'string') text = reasoning;
  const content = d.content;
  if (typeof content === 'string') text += content;
  else if (Array.isArray(content)) for (const part of content) text += partText(part);
  if (typeof d.refusal === 'string') text += d.refusal;
  const toolCalls = d.tool_calls;
  if (Array.isArray(toolCalls)) {
    for (const call of toolCalls) {
      const fn =
        typeof call === 'object' && call !== null ? (call as { function?: unknown }).function : undefined;
      if (typeof fn !== 'object' || fn === null) continue;
      const { name, arguments: args } = fn as { name?: unknown; arguments?: unknown };
      if (typeof name === 'string') text += name;
      if (typeof args === 'string') text += args;
    }
  }
  return text;
}

/**
 * True when a delta (already known to carry a payload) is reasoning only: `reasoning` or
 * `reasoning_content` text and nothing visible (no content, refusal or tool call). A delta with
 * both is visible; Mistral-style thinking parts count as visible here.
 */
export function chatDeltaIsReasoning(choice: Record<string, unknown>): boolean {
  const d = choice.delta as Record<string, unknown>;
  const content = d.content;
  return (
    (content === undefined || content === null || content === '') &&
    (d.refusal === undefined || d.refusal === null || d.refusal === '') &&
    !Array.isArray(d.tool_calls)
  );
}

export const openAiChatAdapter: TargetAdapter = openAiStyleAdapter({
  api: 'openai-chat',
  path: '/chat/completions',
  promptBody: (prompt) => ({ messages: [{ role: 'user', content: prompt }] }),
  payload: chatDeltaPayload,
  reasoningOnly: chatDeltaIsReasoning,
});

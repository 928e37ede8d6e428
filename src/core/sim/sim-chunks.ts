import type { Endpoint } from './sim-request.ts';

// OpenAI wire shapes the simulator emits: `chat.completion.chunk` / `text_completion` stream
// chunks (vLLM style: finish_reason on the last token chunk) and the non-streaming bodies.

/** Text of one simulated token: fluidbench's prompt builder also makes every " word" one token. */
export const TOKEN_TEXT = ' tok';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChunkMeta {
  endpoint: Endpoint;
  id: string;
  created: number;
  model: string;
}

export function usage(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

function tokenText(tokens: number): string {
  return TOKEN_TEXT.repeat(tokens);
}

function envelope(meta: ChunkMeta): Record<string, unknown> {
  return {
    id: meta.id,
    object: meta.endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: meta.created,
    model: meta.model,
  };
}

/** The chat role-only first chunk (no token). */
export function roleChunk(meta: ChunkMeta, chunkUsage: Usage | null | undefined): unknown {
  return {
    ...envelope(meta),
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    ...(chunkUsage !== undefined ? { usage: chunkUsage } : {}),
  };
}

/**
 * A token-carrying chunk. `chunkUsage`: undefined leaves the field out (no include_usage),
 * null is OpenAI's `usage: null` with include_usage, an object is vLLM's continuous usage.
 */
export function tokenChunk(
  meta: ChunkMeta,
  tokens: number,
  finishReason: string | null,
  chunkUsage: Usage | null | undefined,
  /** The tokens' text (default: TOKEN_TEXT per token). */
  text = tokenText(tokens),
): unknown {
  const choice =
    meta.endpoint === 'chat'
      ? { index: 0, delta: { content: text }, logprobs: null, finish_reason: finishReason }
      : { index: 0, text, logprobs: null, finish_reason: finishReason, stop_reason: null };
  return {
    ...envelope(meta),
    choices: [choice],
    ...(chunkUsage !== undefined ? { usage: chunkUsage } : {}),
  };
}

/** The include_usage final chunk, sent before [DONE]. */
export function usageChunk(meta: ChunkMeta, finalUsage: Usage): unknown {
  return { ...envelope(meta), choices: [], usage: finalUsage };
}

export function completionBody(meta: ChunkMeta, tokens: number, finalUsage: Usage): unknown {
  const text = tokenText(tokens);
  const choice =
    meta.endpoint === 'chat'
      ? {
          index: 0,
          message: { role: 'assistant', content: text },
          logprobs: null,
          finish_reason: 'length',
        }
      : { index: 0, text, logprobs: null, finish_reason: 'length', stop_reason: null };
  return {
    id: meta.id,
    object: meta.endpoint === 'chat' ? 'chat.completion' : 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [choice],
    usage: finalUsage,
  };
}

export const STREAM_ERROR = {
  error: { message: 'simulated failure', type: 'server_error', param: null, code: 'simulated' },
};

/** Token text carrying the send time (`emit_times`): " @<ms>" per token, one word each. */
export function timedTokenText(tokens: number, sentAtMs: number): string {
  return ` @${sentAtMs}`.repeat(tokens);
}

export function sseData(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

import {
  type ChunkMeta,
  roleChunk,
  SSE_DONE,
  STREAM_ERROR,
  sseData,
  timedTokenText,
  tokenChunk,
  type Usage,
  usage,
  usageChunk,
} from './sim-chunks.ts';
import type { SimRequest } from './sim-request.ts';
import { type SimStreamWriter, SSE_CONTENT_TYPE, sseBytes } from './sim-stream-writer.ts';

// OpenAI chat and legacy completions streams as the simulator writes them (vLLM style, chunk
// shapes in sim-chunks.ts): the chat role chunk, one chunk per generated chunk with
// `finish_reason: length` on the last, usage as the request asked for it, `[DONE]`; the in-stream
// fault is an `error` event and no `[DONE]`. Reasoning tokens are sent as ordinary tokens.

export function openAiWriter(req: SimRequest, meta: ChunkMeta, nowMs: () => number): SimStreamWriter {
  const usageField = (completionTokens: number): Usage | null | undefined =>
    req.continuousUsage ? usage(req.promptTokens, completionTokens) : req.includeUsage ? null : undefined;
  // The instrument check asks for the send time of every chunk in its tokens' text.
  const emitTimes = req.override?.emit_times === true;
  return sseBytes({
    contentType: SSE_CONTENT_TYPE,
    start: () => (meta.endpoint === 'chat' ? sseData(roleChunk(meta, usageField(0))) : ''),
    chunk(reasoning, answer, cumulative, isLast) {
      const tokens = reasoning + answer;
      return sseData(
        tokenChunk(
          meta,
          tokens,
          isLast ? 'length' : null,
          usageField(cumulative),
          emitTimes ? timedTokenText(tokens, nowMs()) : undefined,
        ),
      );
    },
    end: () =>
      (req.includeUsage ? sseData(usageChunk(meta, usage(req.promptTokens, req.maxTokens))) : '') + SSE_DONE,
    error: () => sseData(STREAM_ERROR),
  });
}

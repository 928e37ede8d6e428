// How one simulated request's stream is written, the same way for every wire protocol the
// simulator speaks (OpenAI chat and completions, Workers AI, Bedrock, Anthropic, Responses,
// Gemini): the simulator drives the generation timeline (sim-generation.ts) and asks the
// protocol's writer for the bytes of each step (sim-stream-body.ts sends them).

/**
 * Writes one request's stream in a protocol's own format. Each method returns the bytes to send;
 * an empty part sends nothing. The SSE protocols write text (`Part = string`) and are turned into
 * bytes by `sseBytes`.
 */
export interface SimStreamWriter<Part extends Uint8Array | string = Uint8Array> {
  /** The response's content-type. */
  readonly contentType: string;
  /** Before the first token (role chunk, message_start, messageStart, …). */
  start(): Part;
  /**
   * One generated chunk: `reasoning` reasoning tokens then `answer` answer tokens (either may be 0);
   * `cumulative` counts every output token so far, this chunk's included.
   */
  chunk(reasoning: number, answer: number, cumulative: number, isLast: boolean): Part;
  /** After the last chunk of a complete generation: final usage and the end marker. */
  end(): Part;
  /** The protocol's in-stream error, sent instead of a chunk mid-way (empty: the stream just stops). */
  error(): Part;
}

/** The content-type of the SSE protocols (Workers AI's own omits the charset). */
export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

const utf8 = new TextEncoder();

/** The one place SSE text becomes bytes. */
export function sseBytes(writer: SimStreamWriter<string>): SimStreamWriter {
  return {
    contentType: writer.contentType,
    start: () => utf8.encode(writer.start()),
    chunk: (reasoning, answer, cumulative, isLast) =>
      utf8.encode(writer.chunk(reasoning, answer, cumulative, isLast)),
    end: () => utf8.encode(writer.end()),
    error: () => utf8.encode(writer.error()),
  };
}

/** Reasoning tokens of a chunk: the part of [cumulative − tokens, cumulative) below `reasoningTokens`. */
export function reasoningInChunk(tokens: number, cumulative: number, reasoningTokens: number): number {
  return Math.max(0, Math.min(tokens, reasoningTokens - (cumulative - tokens)));
}

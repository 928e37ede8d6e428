import { z } from 'zod';
import { type SimOverride, simOverrideSchema } from './sim-config.ts';

// A hosted provider's wire protocol as the simulator speaks it (Anthropic Messages, OpenAI
// Responses, Gemini): how a request is read, how the stream is written, and the provider's error
// bodies. One file per protocol (sim-protocol-*.ts); the timeline, capacity and faults are shared
// (sim-native.ts).

/** One simulated token's text: answer tokens, and reasoning tokens. Prompt words are tokens too. */
export const ANSWER_TOKEN = ' tok';
export const REASONING_TOKEN = ' hmm';

export interface NativeRequest {
  model: string;
  promptTokens: number;
  maxTokens: number;
  /** Reasoning is streamed; otherwise it is hidden (it takes decode time and counts in usage only). */
  showReasoning: boolean;
  override: SimOverride | undefined;
}

/** Writes one request's stream; every method returns the SSE text to send (possibly ''). */
export interface NativeStreamWriter {
  /** Before the first token (message_start, response.created, …). */
  start(): string;
  /**
   * One generated chunk: `reasoning` reasoning tokens then `answer` answer tokens (either may be 0);
   * `cumulative` counts every output token so far, this chunk's included.
   */
  chunk(reasoning: number, answer: number, cumulative: number, isLast: boolean): string;
  /** After the last chunk: final usage and the end marker. */
  end(): string;
  /** The provider's in-stream error, sent instead of a chunk mid-way. */
  error(): string;
}

export interface StreamMeta {
  index: number;
  model: string;
  promptTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  showReasoning: boolean;
}

export interface SimRoute {
  model?: string;
  /** Why this request cannot be simulated (answered with 400 in the provider's shape). */
  unsupported?: string;
}

export interface SimProtocol {
  readonly name: 'anthropic-messages' | 'openai-responses' | 'gemini';
  /** The model named in the URL path (Gemini), or null when the URL is not this protocol's. */
  route(url: URL): SimRoute | null;
  authorized(headers: Headers, apiKey: string): boolean;
  parse(
    body: unknown,
    route: SimRoute,
  ): { ok: true; request: NativeRequest } | { ok: false; message: string };
  /** The provider's error body for an HTTP status. */
  errorBody(status: number, message: string): unknown;
  /** The status a full queue answers with (Anthropic: 529 overloaded). */
  readonly overloadedStatus: number;
  writer(meta: StreamMeta): NativeStreamWriter;
}

export const maxTokensSchema = z.int().min(1).max(1_000_000);
export const simFieldSchema = simOverrideSchema.optional();

/** `event: name` (when given) and `data: json`, one SSE event. */
export function sse(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/** Issues as one message naming each field: `messages.0.content: …; max_tokens: …`. */
export function issuesMessage(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

import { z } from 'zod';
import { type SimOverride, simOverrideSchema } from './sim-config.ts';
import type { SimStreamWriter } from './sim-stream-writer.ts';

// A hosted provider's wire protocol as the simulator speaks it (Anthropic Messages, OpenAI
// Responses, Gemini): how a request is read, its stream writer (sim-stream-writer.ts), and the
// provider's error bodies. One file per protocol (sim-protocol-*.ts); the timeline, capacity and
// faults are shared (sim-native.ts).

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
  /** The stream's writer (SSE text through `sseBytes`). */
  writer(meta: StreamMeta): SimStreamWriter;
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

import {
  BEDROCK_CONTENT_TYPE,
  bedrockDelta,
  bedrockEvent,
  bedrockException,
  bedrockMetadata,
} from './sim-bedrock-stream.ts';
import { SSE_DONE, TOKEN_TEXT } from './sim-chunks.ts';
import type { SimKnobs } from './sim-config.ts';
import type { SimRequest } from './sim-request.ts';
import { workersAiFinal, workersAiToken } from './sim-workers-ai-chunks.ts';

// What the simulator writes for one streamed request in a provider's own wire protocol, chosen by
// the request path (src/core/sim/simulator.ts). The generation timeline is the same for every
// protocol; only the bytes differ.

export type WireProtocol = 'openai' | 'workers-ai' | 'bedrock';

export type StreamPart = Uint8Array | string;

export interface SimStreamEncoder {
  contentType: string;
  /** Sent with the headers, before any token (role chunk, `messageStart`); null when nothing. */
  start(): StreamPart | null;
  /** One chunk of `tokens` tokens, the first `reasoning` of them reasoning; `cumulative` includes them. */
  chunk(tokens: number, reasoning: number, cumulative: number, isLast: boolean): StreamPart;
  /** After the last chunk of a complete generation: usage and the end marker. */
  done(): StreamPart;
  /** The injected in-stream fault; null ends the stream without its end marker instead. */
  fault(): StreamPart | null;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reasoning tokens of a chunk: the part of [cumulative − tokens, cumulative) below `reasoningTokens`. */
export function reasoningInChunk(tokens: number, cumulative: number, reasoningTokens: number): number {
  return Math.max(0, Math.min(tokens, reasoningTokens - (cumulative - tokens)));
}

/** Workers AI `/ai/run/{model}`: `{"response": …}` chunks, reasoning as `reasoning_content`, final usage, `[DONE]`. */
export function workersAiEncoder(req: SimRequest): SimStreamEncoder {
  return {
    contentType: 'text/event-stream',
    start: () => null,
    chunk(tokens, reasoning) {
      let out = '';
      if (reasoning > 0) out += workersAiToken(TOKEN_TEXT.repeat(reasoning), true);
      if (tokens > reasoning) out += workersAiToken(TOKEN_TEXT.repeat(tokens - reasoning), false);
      return out;
    },
    done: () => workersAiFinal(req.promptTokens, req.maxTokens) + SSE_DONE,
    // Workers AI has no in-stream error event: a failing stream stops without [DONE].
    fault: () => null,
  };
}

/** Bedrock ConverseStream: binary frames; reasoning in content block 0 when there is any. */
export function bedrockEncoder(req: SimRequest, knobs: SimKnobs, nowMs: () => number): SimStreamEncoder {
  const startedAt = nowMs();
  const textBlock = knobs.reasoning_tokens > 0 ? 1 : 0;
  return {
    contentType: BEDROCK_CONTENT_TYPE,
    start: () => bedrockEvent('messageStart', { role: 'assistant' }),
    chunk(tokens, reasoning) {
      const frames: Uint8Array[] = [];
      if (reasoning > 0) frames.push(bedrockDelta(0, TOKEN_TEXT.repeat(reasoning), true));
      if (tokens > reasoning)
        frames.push(bedrockDelta(textBlock, TOKEN_TEXT.repeat(tokens - reasoning), false));
      return frames.length === 1 ? (frames[0] as Uint8Array) : concat(frames);
    },
    done: () =>
      concat([
        bedrockEvent('contentBlockStop', { contentBlockIndex: textBlock }),
        bedrockEvent('messageStop', { stopReason: 'max_tokens' }),
        bedrockMetadata(req.promptTokens, req.maxTokens, Math.round(nowMs() - startedAt)),
      ]),
    fault: () =>
      knobs.errors.in_stream_type === 'throttling'
        ? bedrockException('throttlingException', 'Too many requests, please wait before trying again.')
        : bedrockException('modelStreamErrorException', 'simulated model stream error'),
  };
}

/** The Bedrock and Workers AI request bodies as the chat body the simulator validates. */
export function asChatBody(protocol: WireProtocol, body: unknown, model: string): unknown {
  if (protocol === 'openai' || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  if (protocol === 'workers-ai') {
    const { prompt, ...rest } = b;
    return {
      ...rest,
      model,
      ...(rest.messages === undefined ? { messages: [{ role: 'user', content: prompt }] } : {}),
    };
  }
  const messages = Array.isArray(b.messages)
    ? b.messages.map((m: unknown) => {
        const msg = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
        const blocks = Array.isArray(msg.content) ? msg.content : [];
        return {
          role: msg.role,
          content: blocks.map((c: unknown) => ({
            type: 'text',
            text: (c as { text?: unknown } | null)?.text ?? '',
          })),
        };
      })
    : b.messages;
  const inference = (
    typeof b.inferenceConfig === 'object' && b.inferenceConfig !== null ? b.inferenceConfig : {}
  ) as {
    maxTokens?: unknown;
  };
  return {
    model,
    messages,
    max_tokens: inference.maxTokens,
    stream: true,
    ...(b.sim !== undefined ? { sim: b.sim } : {}),
  };
}

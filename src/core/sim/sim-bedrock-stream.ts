import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { TOKEN_TEXT } from './sim-chunks.ts';
import type { SimKnobs } from './sim-config.ts';
import type { SimStreamWriter } from './sim-stream-writer.ts';

// The frames of Bedrock's ConverseStream answer (`application/vnd.amazon.eventstream`), as the
// simulator sends them: each event is one binary frame with string headers `:message-type`,
// `:event-type` (or `:exception-type`) and `:content-type`, and a JSON payload.

const codec = new EventStreamCodec(toUtf8, fromUtf8);

const BEDROCK_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

function frame(headers: Record<string, string>, payload: unknown): Uint8Array {
  const typed: Parameters<typeof codec.encode>[0]['headers'] = {};
  for (const [name, value] of Object.entries(headers)) typed[name] = { type: 'string', value };
  return codec.encode({ headers: typed, body: fromUtf8(JSON.stringify(payload)) });
}

/** One event frame (`messageStart`, `contentBlockDelta`, `messageStop`, `metadata`, …). */
export function bedrockEvent(eventType: string, payload: unknown): Uint8Array {
  return frame(
    { ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' },
    payload,
  );
}

/** An exception frame (`throttlingException`, `modelStreamErrorException`, …) with its message. */
export function bedrockException(exceptionType: string, message: string): Uint8Array {
  return frame(
    { ':message-type': 'exception', ':exception-type': exceptionType, ':content-type': 'application/json' },
    { message },
  );
}

/** A text or reasoning delta of content block `index`. */
function bedrockDelta(index: number, text: string, reasoning: boolean): Uint8Array {
  return bedrockEvent('contentBlockDelta', {
    contentBlockIndex: index,
    delta: reasoning ? { reasoningContent: { text } } : { text },
  });
}

function bedrockMetadata(
  inputTokens: number,
  outputTokens: number,
  latencyMs: number,
  cacheReadInputTokens?: number,
): Uint8Array {
  return bedrockEvent('metadata', {
    usage: {
      inputTokens,
      outputTokens,
      totalTokens: inputTokens + outputTokens + (cacheReadInputTokens ?? 0),
      ...(cacheReadInputTokens !== undefined ? { cacheReadInputTokens } : {}),
    },
    metrics: { latencyMs },
  });
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

/**
 * One request's stream: `messageStart`, a delta frame per text part (reasoning in content block 0
 * when the request has any reasoning), then the block stop, `messageStop` and the metadata with
 * the latency since the writer was made; the in-stream fault is the exception `in_stream_type` names.
 */
export function bedrockWriter(
  promptTokens: number,
  outputTokens: number,
  knobs: Pick<SimKnobs, 'reasoning_tokens' | 'errors'>,
  nowMs: () => number,
): SimStreamWriter {
  const startedAt = nowMs();
  const textBlock = knobs.reasoning_tokens > 0 ? 1 : 0;
  return {
    contentType: BEDROCK_CONTENT_TYPE,
    start: () => bedrockEvent('messageStart', { role: 'assistant' }),
    chunk(reasoning, answer) {
      const frames: Uint8Array[] = [];
      if (reasoning > 0) frames.push(bedrockDelta(0, TOKEN_TEXT.repeat(reasoning), true));
      if (answer > 0) frames.push(bedrockDelta(textBlock, TOKEN_TEXT.repeat(answer), false));
      return frames.length === 1 ? (frames[0] as Uint8Array) : concat(frames);
    },
    end: () =>
      concat([
        bedrockEvent('contentBlockStop', { contentBlockIndex: textBlock }),
        bedrockEvent('messageStop', { stopReason: 'max_tokens' }),
        bedrockMetadata(promptTokens, outputTokens, Math.round(nowMs() - startedAt)),
      ]),
    error: () =>
      knobs.errors.in_stream_type === 'throttling'
        ? bedrockException('throttlingException', 'Too many requests, please wait before trying again.')
        : bedrockException('modelStreamErrorException', 'simulated model stream error'),
  };
}

import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

// The frames of Bedrock's ConverseStream answer (`application/vnd.amazon.eventstream`), as the
// simulator sends them: each event is one binary frame with string headers `:message-type`,
// `:event-type` (or `:exception-type`) and `:content-type`, and a JSON payload.

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export const BEDROCK_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

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
export function bedrockDelta(index: number, text: string, reasoning: boolean): Uint8Array {
  return bedrockEvent('contentBlockDelta', {
    contentBlockIndex: index,
    delta: reasoning ? { reasoningContent: { text } } : { text },
  });
}

export function bedrockMetadata(
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

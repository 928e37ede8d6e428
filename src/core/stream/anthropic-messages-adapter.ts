import {
  BadEvent,
  baseHeaders,
  count,
  errorText,
  isObject,
  parseEventObject,
  usageOf,
} from './native-adapter-kit.ts';
import {
  type BuiltRequest,
  type DecodedEvent,
  type DecodedUsage,
  END_MARKER,
  type EventDecoder,
  endpointUrl,
  NO_TOKEN,
  type TargetAdapter,
} from './target-adapter.ts';

// Anthropic Messages (`POST /v1/messages`, docs/streaming.md#hosted-provider-apis). Text and thinking
// arrive as `content_block_delta` events (`text_delta.text`, `thinking_delta.thinking`); usage comes
// twice: `message_start` (the prompt, cache reads, an initial output count that is NOT the answer's)
// and `message_delta` (cumulative output, the stop reason). `message_stop` ends the stream.

/** The API version header sent unless `extra_headers` names another. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic error types that mean "too busy, come back later". */
const RATE_LIMIT_TYPES = new Set(['rate_limit_error', 'overloaded_error']);

function buildRequest(input: Parameters<TargetAdapter['buildRequest']>[0]): BuiltRequest {
  const { target } = input;
  const body: Record<string, unknown> = {
    ...target.extra_body,
    model: target.model,
    messages: [{ role: 'user', content: input.prompt }],
    // Anthropic has no min_tokens / ignore_eos: the answer may stop earlier (see stop_reason).
    max_tokens: input.maxTokens,
    stream: true,
  };
  const headers = baseHeaders(target, input.requestId);
  headers['anthropic-version'] ??= ANTHROPIC_VERSION;
  if (input.apiKey) headers['x-api-key'] = input.apiKey;
  return {
    url: endpointUrl(target.base_url, '/messages'),
    init: { method: 'POST', headers, body: JSON.stringify(body) },
  };
}

/** Prompt, cache and output counts of a `usage` object (message_start or message_delta). */
function anthropicUsage(u: unknown, withOutput: boolean): DecodedUsage | undefined {
  if (!isObject(u)) return undefined;
  const input = count(u.input_tokens);
  const cacheRead = count(u.cache_read_input_tokens);
  const cacheWrite = count(u.cache_creation_input_tokens);
  const usage: DecodedUsage = {};
  // `input_tokens` excludes cache reads and writes: the prompt is all three.
  if (input !== undefined) usage.promptTokens = input + (cacheRead ?? 0) + (cacheWrite ?? 0);
  if (cacheRead !== undefined) usage.cachedPromptTokens = cacheRead;
  if (withOutput) {
    usage.completionTokens = count(u.output_tokens);
    const details = u.output_tokens_details;
    if (isObject(details)) usage.reasoningTokens = count(details.thinking_tokens);
  }
  return usageOf(usage);
}

function errorEvent(obj: Record<string, unknown>): DecodedEvent {
  const detail = isObject(obj.error) ? obj.error : obj;
  const type = typeof detail.type === 'string' ? detail.type : 'error';
  return {
    tokenEvents: 0,
    error: {
      kind: RATE_LIMIT_TYPES.has(type) ? 'rate_limited' : 'stream_error',
      message: `in-stream error ${errorText([type, detail.message])}`,
    },
  };
}

function token(text: string, reasoning: boolean): DecodedEvent {
  if (text === '') return NO_TOKEN;
  return reasoning ? { tokenEvents: 1, text, reasoning: true } : { tokenEvents: 1, text };
}

export function decodeAnthropicEvent(data: string, event: string | undefined): DecodedEvent {
  const obj = parseEventObject(data);
  if (obj instanceof BadEvent) return obj.decoded;
  const type = typeof obj.type === 'string' ? obj.type : event;
  switch (type) {
    case 'content_block_delta': {
      const delta = obj.delta;
      if (!isObject(delta)) return NO_TOKEN;
      if (typeof delta.text === 'string') return token(delta.text, false);
      if (typeof delta.thinking === 'string') return token(delta.thinking, true);
      if (typeof delta.partial_json === 'string') return token(delta.partial_json, false);
      return NO_TOKEN; // signature_delta, citations_delta: not generated text
    }
    case 'content_block_start': {
      const block = obj.content_block;
      if (!isObject(block)) return NO_TOKEN;
      // A redacted thinking block arrives whole here: reasoning without readable text.
      if (block.type === 'redacted_thinking') return { tokenEvents: 1, reasoning: true };
      if (block.type === 'tool_use' && typeof block.name === 'string') return token(block.name, false);
      if (typeof block.text === 'string') return token(block.text, false);
      if (typeof block.thinking === 'string') return token(block.thinking, true);
      return NO_TOKEN;
    }
    case 'message_delta': {
      const usage = anthropicUsage(obj.usage, true);
      const delta = obj.delta;
      const stop = isObject(delta) && typeof delta.stop_reason === 'string' ? delta.stop_reason : undefined;
      if (!usage && stop === undefined) return NO_TOKEN;
      const decoded: DecodedEvent = { tokenEvents: 0 };
      if (usage) decoded.usage = usage;
      if (stop !== undefined) decoded.finishReason = stop;
      return decoded;
    }
    case 'message_start': {
      // Its output_tokens is a placeholder, never the answer's count: only the prompt side is kept.
      const message = obj.message;
      const usage = isObject(message) ? anthropicUsage(message.usage, false) : undefined;
      return usage ? { tokenEvents: 0, usage } : NO_TOKEN;
    }
    case 'message_stop':
      return END_MARKER;
    case 'error':
      return errorEvent(obj);
    default:
      return NO_TOKEN; // ping, content_block_stop, and event types added later
  }
}

const decoder: EventDecoder = { decode: decodeAnthropicEvent };

export const anthropicMessagesAdapter: TargetAdapter = {
  api: 'anthropic-messages',
  buildRequest,
  createEventDecoder: () => decoder,
};

import { BadEvent, baseHeaders, count, isObject, parseEventObject, usageOf } from './native-adapter-kit.ts';
import {
  type BuiltRequest,
  type DecodedEvent,
  type DecodedUsage,
  type EventDecoder,
  endpointUrl,
  inStreamError,
  payloadEvent,
  type TargetAdapter,
} from './target-adapter.ts';

// Gemini API native streaming (`POST /v1beta/models/{model}:streamGenerateContent?alt=sse`,
// docs/streaming.md#hosted-provider-apis). Every event is a whole GenerateContentResponse: parts with
// `thought: true` are reasoning (sent only with thinkingConfig.includeThoughts), the others answer
// text; `usageMetadata` is a running total (output = candidates + thoughts). There is no end
// marker: the event with a `finishReason` and then EOF end the stream.

function buildRequest(input: Parameters<TargetAdapter['buildRequest']>[0]): BuiltRequest {
  const { target } = input;
  const { generationConfig, ...extra } = target.extra_body;
  const body: Record<string, unknown> = {
    ...extra,
    contents: [{ role: 'user', parts: [{ text: input.prompt }] }],
    // An upper bound: Gemini has no option that forces the length.
    generationConfig: {
      ...(isObject(generationConfig) ? generationConfig : {}),
      maxOutputTokens: input.maxTokens,
    },
  };
  const headers = baseHeaders(target, input.requestId);
  // The key goes in a header, never in the URL (URLs end up in logs and error messages).
  if (input.apiKey) headers['x-goog-api-key'] = input.apiKey;
  const url = new URL(
    endpointUrl(target.base_url, `/models/${encodeURIComponent(target.model)}:streamGenerateContent`),
  );
  url.searchParams.set('alt', 'sse');
  return { url: url.toString(), init: { method: 'POST', headers, body: JSON.stringify(body) } };
}

function geminiUsage(u: unknown): DecodedUsage | undefined {
  if (!isObject(u)) return undefined;
  const candidates = count(u.candidatesTokenCount);
  const thoughts = count(u.thoughtsTokenCount);
  const usage: DecodedUsage = {
    promptTokens: count(u.promptTokenCount),
    // Thinking tokens are output too, reported apart from the answer's.
    completionTokens:
      candidates === undefined && thoughts === undefined ? undefined : (candidates ?? 0) + (thoughts ?? 0),
    reasoningTokens: thoughts,
    cachedPromptTokens: count(u.cachedContentTokenCount),
  };
  return usageOf(usage);
}

export function decodeGeminiEvent(data: string, event: string | undefined): DecodedEvent {
  const obj = parseEventObject(data);
  if (obj instanceof BadEvent) return obj.decoded;
  // `{error: {code, message, status}}`: RESOURCE_EXHAUSTED / 429 is a rate limit.
  const error = inStreamError(obj, event);
  if (error) return { tokenEvents: 0, error };
  const feedback = obj.promptFeedback;
  if (isObject(feedback) && typeof feedback.blockReason === 'string')
    return {
      tokenEvents: 0,
      error: { kind: 'stream_error', message: `prompt blocked: ${feedback.blockReason.slice(0, 100)}` },
    };
  let answer = '';
  let thought = '';
  let finishReason: string | undefined;
  const candidates = obj.candidates;
  const candidate = Array.isArray(candidates) ? (candidates[0] as unknown) : undefined;
  if (isObject(candidate)) {
    const content = candidate.content;
    const parts = isObject(content) ? content.parts : undefined;
    if (Array.isArray(parts))
      for (const part of parts) {
        if (!isObject(part)) continue;
        const text = part.text;
        if (typeof text === 'string') {
          if (part.thought === true) thought += text;
          else answer += text;
        } else if (isObject(part.functionCall) && typeof part.functionCall.name === 'string') {
          answer += part.functionCall.name;
        }
      }
    if (typeof candidate.finishReason === 'string') finishReason = candidate.finishReason;
  }
  const usage = geminiUsage(obj.usageMetadata);
  const text = thought + answer;
  // An event with both kinds counts as visible: its read is the first visible token.
  return payloadEvent(text, answer === '', usage, finishReason);
}

const decoder: EventDecoder = { decode: decodeGeminiEvent };

export const geminiAdapter: TargetAdapter = {
  api: 'gemini',
  buildRequest,
  createEventDecoder: () => decoder,
  endsAtEof: true,
};

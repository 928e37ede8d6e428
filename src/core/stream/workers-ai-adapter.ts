import { BadEvent, baseHeaders, isObject, parseEventObject } from './native-adapter-kit.ts';
import {
  type BuildRequestInput,
  type BuiltRequest,
  type DecodedEvent,
  END_MARKER,
  endpointUrl,
  inStreamError,
  payloadEvent,
  reportedUsage,
  type TargetAdapter,
} from './target-adapter.ts';

// Workers AI's native text-generation stream (docs/streaming.md#workers-ai): REST
// `POST …/accounts/{account_id}/ai/run/{model}` or the shard's `AI` binding, both with
// `stream: true`. SSE events are `{"response": "…"}` (older models) or OpenAI-style chunks with
// `choices[0].delta.content` / `reasoning_content` (newer ones), possibly both in one stream, a
// `p` padding field on either; the native final event is `{"response": "", "usage": {…}}`; the
// stream ends with `data: [DONE]`. Usage is read only from events that carry no text: per-chunk
// usage on OpenAI-style chunks is not documented as cumulative, so it is never summed or diffed.

function buildWorkersAiRequest(input: BuildRequestInput): BuiltRequest {
  const { target } = input;
  const body = JSON.stringify({
    ...target.extra_body,
    messages: [{ role: 'user', content: input.prompt }],
    stream: true,
    // A ceiling: Workers AI has no ignore_eos, so the model may stop earlier (finish reason).
    max_tokens: input.maxTokens,
  });
  const headers = baseHeaders(target, input.requestId);
  if (input.apiKey) headers.authorization = `Bearer ${input.apiKey}`;
  // Model names contain slashes (`@cf/meta/llama-3.1-8b-instruct`): they are path segments.
  return {
    url: endpointUrl(target.base_url, `/run/${target.model}`),
    init: { method: 'POST', headers, body },
  };
}

/** Text and channel of an OpenAI-style chunk's `choices[0]`. */
function choicePayload(choice: Record<string, unknown>): { text: string; reasoning: boolean } {
  const delta = choice.delta;
  if (!isObject(delta)) return { text: typeof choice.text === 'string' ? choice.text : '', reasoning: false };
  const reasoning =
    typeof delta.reasoning_content === 'string' && delta.reasoning_content !== ''
      ? delta.reasoning_content
      : typeof delta.reasoning === 'string'
        ? delta.reasoning
        : '';
  const content = typeof delta.content === 'string' ? delta.content : '';
  return { text: reasoning + content, reasoning: reasoning !== '' && content === '' };
}

export function decodeWorkersAiEvent(data: string, event: string | undefined): DecodedEvent {
  if (data === '[DONE]') return END_MARKER;
  const obj = parseEventObject(data);
  if (obj instanceof BadEvent) return obj.decoded;
  const error = inStreamError(obj, event);
  if (error) return { tokenEvents: 0, error };
  let text = typeof obj.response === 'string' ? obj.response : '';
  let reasoning = false;
  let finishReason: string | undefined;
  const choice = Array.isArray(obj.choices) ? (obj.choices[0] as unknown) : undefined;
  if (isObject(choice)) {
    const payload = choicePayload(choice);
    text += payload.text;
    reasoning = payload.reasoning && text === payload.text;
    if (typeof choice.finish_reason === 'string') finishReason = choice.finish_reason;
  }
  if (typeof obj.finish_reason === 'string') finishReason = obj.finish_reason;
  const usage = text === '' ? reportedUsage(obj) : undefined;
  return payloadEvent(text, reasoning, usage, finishReason);
}

export const workersAiAdapter: TargetAdapter = {
  api: 'workers-ai',
  buildRequest: buildWorkersAiRequest,
  createEventDecoder: () => ({ decode: decodeWorkersAiEvent }),
};

import {
  type BuildRequestInput,
  type BuiltRequest,
  type DecodedEvent,
  END_MARKER,
  endpointUrl,
  inStreamError,
  NO_TOKEN,
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function buildWorkersAiRequest(input: BuildRequestInput): BuiltRequest {
  const { target } = input;
  const body = JSON.stringify({
    ...target.extra_body,
    messages: [{ role: 'user', content: input.prompt }],
    stream: true,
    // A ceiling: Workers AI has no ignore_eos, so the model may stop earlier (finish reason).
    max_tokens: input.maxTokens,
  });
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  for (const [name, value] of Object.entries(target.extra_headers)) headers[name.toLowerCase()] = value;
  headers['x-request-id'] = input.requestId;
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
  let obj: unknown;
  try {
    obj = JSON.parse(data);
  } catch {
    const head = data.length > 80 ? `${data.slice(0, 80)}…` : data;
    return { tokenEvents: 0, error: { kind: 'stream_error', message: `unparseable event data: ${head}` } };
  }
  if (!isObject(obj))
    return { tokenEvents: 0, error: { kind: 'stream_error', message: 'event data is not a JSON object' } };
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
  if (text === '' && usage === undefined && finishReason === undefined) return NO_TOKEN;
  const decoded: DecodedEvent = { tokenEvents: text === '' ? 0 : 1 };
  if (text !== '') decoded.text = text;
  if (reasoning) decoded.reasoning = true;
  if (usage) decoded.usage = usage;
  if (finishReason !== undefined) decoded.finishReason = finishReason;
  return decoded;
}

export const workersAiAdapter: TargetAdapter = {
  api: 'workers-ai',
  buildRequest: buildWorkersAiRequest,
  createEventDecoder: () => ({ decode: decodeWorkersAiEvent }),
};

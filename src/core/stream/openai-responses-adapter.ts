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
  type EventDecoder,
  endpointUrl,
  inStreamError,
  NO_TOKEN,
  type TargetAdapter,
} from './target-adapter.ts';

// OpenAI Responses (`POST /v1/responses`, docs/streaming.md#hosted-provider-apis). Answer text arrives
// in `response.output_text.delta`; reasoning only as summaries (`response.reasoning_summary_text.delta`,
// with `reasoning.summary` in the request) or raw text from open-weight models
// (`response.reasoning_text.delta`). Usage, with the reasoning and cached counts, comes only in the
// terminal event: `response.completed`, `.incomplete` or `.failed`. There is no `[DONE]`.

function buildRequest(input: Parameters<TargetAdapter['buildRequest']>[0]): BuiltRequest {
  const { target } = input;
  const body: Record<string, unknown> = {
    // Not kept on the provider's side unless the config asks for it (a benchmark's answers are noise).
    store: false,
    ...target.extra_body,
    model: target.model,
    input: input.prompt,
    // An upper bound: hosted OpenAI models cannot be forced to generate exactly this many.
    max_output_tokens: input.maxTokens,
    stream: true,
  };
  const headers = baseHeaders(target, input.requestId);
  if (input.apiKey) headers.authorization = `Bearer ${input.apiKey}`;
  return {
    url: endpointUrl(target.base_url, '/responses'),
    init: { method: 'POST', headers, body: JSON.stringify(body) },
  };
}

function responsesUsage(u: unknown): DecodedUsage | undefined {
  if (!isObject(u)) return undefined;
  const usage: DecodedUsage = {
    promptTokens: count(u.input_tokens),
    completionTokens: count(u.output_tokens),
  };
  if (isObject(u.output_tokens_details))
    usage.reasoningTokens = count(u.output_tokens_details.reasoning_tokens);
  if (isObject(u.input_tokens_details))
    usage.cachedPromptTokens = count(u.input_tokens_details.cached_tokens);
  return usageOf(usage);
}

/** `response.completed` / `.incomplete` / `.failed`: the end, with usage and how it ended. */
function terminal(obj: Record<string, unknown>, type: string): DecodedEvent {
  const response = isObject(obj.response) ? obj.response : {};
  const decoded: DecodedEvent = { tokenEvents: 0, end: true };
  const usage = responsesUsage(response.usage);
  if (usage) decoded.usage = usage;
  const incomplete = response.incomplete_details;
  if (isObject(incomplete) && typeof incomplete.reason === 'string') decoded.finishReason = incomplete.reason;
  else if (typeof response.status === 'string') decoded.finishReason = response.status;
  if (type === 'response.failed') {
    const error = isObject(response.error) ? response.error : {};
    const failure = inStreamError(
      { error: Object.keys(error).length > 0 ? error : 'response.failed' },
      undefined,
    );
    decoded.error = failure ?? { kind: 'stream_error', message: 'in-stream error response.failed' };
  }
  return decoded;
}

function token(delta: unknown, reasoning: boolean): DecodedEvent {
  if (typeof delta !== 'string' || delta === '') return NO_TOKEN;
  return reasoning ? { tokenEvents: 1, text: delta, reasoning: true } : { tokenEvents: 1, text: delta };
}

export function decodeResponsesEvent(data: string, event: string | undefined): DecodedEvent {
  const obj = parseEventObject(data);
  if (obj instanceof BadEvent) return obj.decoded;
  const type = typeof obj.type === 'string' ? obj.type : (event ?? '');
  switch (type) {
    case 'response.output_text.delta':
    case 'response.refusal.delta':
    case 'response.function_call_arguments.delta':
      return token(obj.delta, false);
    case 'response.reasoning_summary_text.delta':
    case 'response.reasoning_text.delta':
      return token(obj.delta, true);
    case 'response.completed':
    case 'response.incomplete':
    case 'response.failed':
      return terminal(obj, type);
    case 'error': {
      // Flat `{type: 'error', code, message, param}` or nested `{error: {type, code, message}}`.
      const nested = isObject(obj.error);
      const error = inStreamError(
        nested ? obj : { error: { code: obj.code, message: obj.message } },
        'error',
      );
      return {
        tokenEvents: 0,
        error: error ?? {
          kind: 'stream_error',
          message: `in-stream error ${errorText([obj.code, obj.message])}`,
        },
      };
    }
    default:
      // created, in_progress, output_item.added/done, content_part.*, *.done: not tokens.
      return NO_TOKEN;
  }
}

const decoder: EventDecoder = { decode: decodeResponsesEvent };

export const openAiResponsesAdapter: TargetAdapter = {
  api: 'openai-responses',
  buildRequest,
  createEventDecoder: () => decoder,
};

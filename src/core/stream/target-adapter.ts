import { BadEvent, baseHeaders, isObject, parseEventObject } from './native-adapter-kit.ts';
import type { Target } from './target-config.ts';

// The seam between the streaming loop and a provider's wire format. The loop owns timing, the SSE
// parser and outcomes; an adapter only builds the request and classifies one SSE event at a time.

export interface BuildRequestInput {
  target: Target;
  /** The key itself (resolved from target.api_key_secret by the caller); never stored. */
  apiKey?: string;
  requestId: string;
  prompt: string;
  maxTokens: number;
  /** Other named secrets (AWS credentials), resolved by the caller; undefined when not set. */
  secret?: (name: string) => string | undefined;
  /** Epoch ms clock, for request signatures (SigV4 dates); read only by adapters that sign. */
  nowMs?: () => number;
}

export interface BuiltRequest {
  url: string;
  init: { method: 'POST'; headers: Record<string, string>; body: string };
  /** Credentials the request carries besides `apiKey` (a session token): removed from any error text. */
  redact?: readonly string[];
}

export interface DecodedUsage {
  promptTokens?: number;
  /** Cumulative, as reported: never a delta. Includes reasoning tokens where the provider counts them apart. */
  completionTokens?: number;
  /** Of the output, the reasoning ("thinking") tokens, when the provider reports them (cumulative). */
  reasoningTokens?: number;
  /** Of the prompt, the tokens served from the provider's prompt cache, when it says so. */
  cachedPromptTokens?: number;
}

export interface DecodedEvent {
  /**
   * 1 when the event carried a non-empty generated payload on any channel (answer text, reasoning,
   * refusal, tool-call name or arguments), else 0. `''` and `null` are not tokens; whitespace is.
   */
  tokenEvents: number;
  usage?: DecodedUsage;
  /**
   * The protocol's end marker (`[DONE]`, `message_stop`, `response.completed`). The event's other
   * fields (usage, finish reason, an error) still count.
   */
  end?: true;
  error?: { kind: 'rate_limited' | 'stream_error'; message: string };
  finishReason?: string;
  /** The generated payload of this event (all channels), when tokenEvents is 1. */
  text?: string;
  /**
   * The payload is reasoning ("thinking", reasoning summary), not visible answer text. Reasoning
   * counts as output and is also reported apart (time to first reasoning / visible token, count).
   */
  reasoning?: true;
  /** The provider's own latency for the whole request (Bedrock `metadata.metrics.latencyMs`). */
  serverLatencyMs?: number;
}

export interface EventDecoder {
  /** Classifies one SSE event; runs in the hot read loop, so it must stay cheap. */
  decode(data: string, event: string | undefined): DecodedEvent;
}

/**
 * Byte-level framing for a protocol that is not SSE (Bedrock's binary event stream). Fed each
 * network read as it arrives; emits the decoded events the read completed, in order.
 */
export interface FrameDecoder {
  push(bytes: Uint8Array, emit: (event: DecodedEvent) => void): void;
  /** At EOF: the error when a frame was left incomplete, else undefined. */
  end(): DecodedEvent['error'] | undefined;
}

export interface TargetAdapter {
  readonly api: Target['api'];
  buildRequest(input: BuildRequestInput): BuiltRequest;
  /** Only for protocols that sign requests with async crypto (SigV4): signs what buildRequest built. */
  signRequest?(built: BuiltRequest, input: BuildRequestInput): Promise<BuiltRequest>;
  /** A fresh decoder per request (decoders may keep per-stream state). */
  createEventDecoder(): EventDecoder;
  /**
   * Only for protocols that are not SSE: a fresh byte-level decoder per request, used instead of
   * the SSE parser and `createEventDecoder` (`maxFrameBytes` bounds one frame).
   */
  createFrameDecoder?(maxFrameBytes: number): FrameDecoder;
  /**
   * The protocol has no end marker (Gemini): a stream that reaches EOF after an event with a
   * finish reason is complete; without one it is `truncated`.
   */
  readonly endsAtEof?: true;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the OpenAI-compatible adapters.

/** An OpenAI-compatible adapter: its endpoint, where the prompt goes, and where a choice's text is. */
export function openAiStyleAdapter(spec: {
  api: Target['api'];
  path: string;
  promptBody: (prompt: string) => Record<string, unknown>;
  payload: (choice: Record<string, unknown>) => string;
  /** True when a choice's payload is reasoning only (no visible text): for the reasoning split. */
  reasoningOnly?: (choice: Record<string, unknown>) => boolean;
}): TargetAdapter {
  // Stateless: one decoder serves every stream.
  const decoder: EventDecoder = {
    decode: (data, event) => decodeOpenAiEvent(data, event, spec.payload, spec.reasoningOnly),
  };
  return {
    api: spec.api,
    buildRequest: (input) => buildOpenAiRequest(input, spec.path, spec.promptBody(input.prompt)),
    createEventDecoder: () => decoder,
  };
}

/** Shared results: returning constants avoids an allocation for most events. */
export const NO_TOKEN: DecodedEvent = Object.freeze({ tokenEvents: 0 });
export const END_MARKER: DecodedEvent = Object.freeze({ tokenEvents: 0, end: true as const });

/** `base_url` + endpoint path, keeping a query string (e.g. Azure's ?api-version=…). */
export function endpointUrl(baseUrl: string, path: string): string {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url.toString();
}

/**
 * Request body and headers for an OpenAI-compatible streaming endpoint. `payload` holds the
 * protocol's input field (`messages` or `prompt`).
 */
export function buildOpenAiRequest(
  input: BuildRequestInput,
  path: string,
  payload: Record<string, unknown>,
): BuiltRequest {
  const { target, maxTokens } = input;
  const extra = target.extra_body;
  const extraStreamOptions = extra.stream_options;
  const streamOptions: Record<string, unknown> = {
    ...(isObject(extraStreamOptions) ? extraStreamOptions : {}),
    include_usage: true,
  };
  if (target.continuous_usage) streamOptions.continuous_usage_stats = true;
  const body: Record<string, unknown> = {
    ...extra,
    model: target.model,
    ...payload,
    stream: true,
    stream_options: streamOptions,
    [target.max_tokens_field]: maxTokens,
  };
  if (target.ignore_eos) {
    body.ignore_eos = true;
    body.min_tokens = maxTokens;
  }
  const headers = baseHeaders(target, input.requestId);
  if (input.apiKey) headers.authorization = `Bearer ${input.apiKey}`;
  return {
    url: endpointUrl(target.base_url, path),
    init: { method: 'POST', headers, body: JSON.stringify(body) },
  };
}

/** Rate-limit equivalents across providers (docs/streaming.md#in-stream-errors-and-rate-limits). */
const RATE_LIMIT_CODES = new Set([
  '429',
  'rate_limit_exceeded',
  'rate_limit_error',
  'rate_limited',
  'too_many_requests',
  'resource_exhausted',
  'throttlingexception',
]);

function isRateLimitCode(value: unknown): boolean {
  return (
    (typeof value === 'number' && value === 429) ||
    (typeof value === 'string' && RATE_LIMIT_CODES.has(value.toLowerCase()))
  );
}

const MAX_ERROR_MESSAGE = 300;

/**
 * The in-stream error carried by a parsed chunk, or undefined. Shapes (docs/streaming.md):
 * `{error: {message, type, code}}` (OpenAI and most servers, Gemini, OpenRouter), `{error: "…",
 * error_type}` (TGI), `{object: "error", message, type, code}` (older vLLM), Groq `x_groq.error`,
 * and anything sent as `event: error`.
 */
export function inStreamError(
  obj: Record<string, unknown>,
  event: string | undefined,
): DecodedEvent['error'] | undefined {
  let detail: unknown;
  if (obj.error !== undefined && obj.error !== null) detail = obj.error;
  else if (obj.object === 'error' || event === 'error') detail = obj;
  else {
    const groq = obj.x_groq;
    if (isObject(groq) && groq.error !== undefined && groq.error !== null) detail = groq.error;
    else return undefined;
  }
  let message: string;
  let rateLimited = false;
  if (isObject(detail)) {
    const codes = [detail.code, detail.type, detail.status, obj.error_type].filter(
      (c) => c !== undefined && c !== null && c !== '',
    );
    rateLimited = codes.some(isRateLimitCode);
    const text = typeof detail.message === 'string' ? detail.message : '';
    message = codes.length > 0 ? `${codes.map(String).join('/')}: ${text}` : text || 'error event';
  } else {
    rateLimited = isRateLimitCode(obj.error_type) || isRateLimitCode(obj.code);
    message = obj.error_type ? `${String(obj.error_type)}: ${String(detail)}` : String(detail);
  }
  if (message.length > MAX_ERROR_MESSAGE) message = `${message.slice(0, MAX_ERROR_MESSAGE)}…`;
  return { kind: rateLimited ? 'rate_limited' : 'stream_error', message: `in-stream error ${message}` };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Usage as reported (`usage`, or Groq's `x_groq.usage`), or undefined. */
export function reportedUsage(obj: Record<string, unknown>): DecodedUsage | undefined {
  let u = obj.usage;
  if (u === undefined || u === null) {
    const groq = obj.x_groq;
    if (groq === undefined || groq === null || typeof groq !== 'object') return undefined;
    u = (groq as Record<string, unknown>).usage;
    if (u === undefined || u === null) return undefined;
  }
  if (typeof u !== 'object') return undefined;
  const {
    prompt_tokens: p,
    completion_tokens: c,
    completion_tokens_details: cd,
    prompt_tokens_details: pd,
  } = u as Record<string, unknown>;
  const usage: DecodedUsage = {};
  if (isCount(p)) usage.promptTokens = p;
  if (isCount(c)) usage.completionTokens = c;
  if (usage.promptTokens === undefined && usage.completionTokens === undefined) return undefined;
  // OpenAI's hidden reasoning count and prompt-cache hits, when the server reports them.
  if (isObject(cd) && isCount(cd.reasoning_tokens)) usage.reasoningTokens = cd.reasoning_tokens;
  if (isObject(pd) && isCount(pd.cached_tokens)) usage.cachedPromptTokens = pd.cached_tokens;
  return usage;
}

/**
 * Decodes one OpenAI-compatible event: end marker, parse failure, in-stream error, usage, finish
 * reason; `payloadOf` extracts the generated text of `choices[0]` ('' when none).
 */
export function decodeOpenAiEvent(
  data: string,
  event: string | undefined,
  payloadOf: (choice: Record<string, unknown>) => string,
  reasoningOnly?: (choice: Record<string, unknown>) => boolean,
): DecodedEvent {
  if (data === '[DONE]') return END_MARKER; // before JSON.parse: it is not JSON
  const chunk = parseEventObject(data);
  if (chunk instanceof BadEvent) return chunk.decoded;
  const error = inStreamError(chunk, event);
  if (error) return { tokenEvents: 0, error };
  const usage = reportedUsage(chunk);
  // Usage chunks may have `choices: []`, `choices: null` or none at all.
  const choices = chunk.choices;
  const choice = Array.isArray(choices) ? (choices[0] as unknown) : undefined;
  let text = '';
  let reasoning = false;
  let finishReason: string | undefined;
  if (typeof choice === 'object' && choice !== null) {
    const c = choice as Record<string, unknown>;
    text = payloadOf(c);
    if (text !== '' && reasoningOnly) reasoning = reasoningOnly(c);
    if (typeof c.finish_reason === 'string') finishReason = c.finish_reason;
  }
  return payloadEvent(text, reasoning, usage, finishReason);
}

/**
 * The event for one decoded payload: NO_TOKEN when it carries nothing, else a token event when
 * `text` is non-empty (reasoning or visible), with the usage and finish reason it reported.
 */
export function payloadEvent(
  text: string,
  reasoning: boolean,
  usage: DecodedUsage | undefined,
  finishReason: string | undefined,
): DecodedEvent {
  if (text === '' && usage === undefined && finishReason === undefined) return NO_TOKEN;
  const decoded: DecodedEvent = { tokenEvents: text === '' ? 0 : 1 };
  if (text !== '') {
    decoded.text = text;
    if (reasoning) decoded.reasoning = true;
  }
  if (usage) decoded.usage = usage;
  if (finishReason !== undefined) decoded.finishReason = finishReason;
  return decoded;
}

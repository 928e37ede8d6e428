import { AwsV4Signer } from 'aws4fetch';
import { createEventFrameSplitter, type FrameMessage, stringHeader } from './aws-event-frames.ts';
import { baseHeaders, count, isObject } from './native-adapter-kit.ts';
import {
  type BuildRequestInput,
  type BuiltRequest,
  type DecodedEvent,
  type DecodedUsage,
  endpointUrl,
  type FrameDecoder,
  NO_TOKEN,
  type TargetAdapter,
} from './target-adapter.ts';

// AWS Bedrock ConverseStream (docs/streaming.md#aws-bedrock-conversestream): one POST to
// `/model/{modelId}/converse-stream`, signed with SigV4 (service `bedrock`) or carrying a Bedrock
// API key as a bearer token; the answer is AWS's binary event stream, not SSE. Events:
// `messageStart`, `contentBlockStart`, `contentBlockDelta` (text, reasoning, tool input),
// `contentBlockStop`, `messageStop` (stop reason), then `metadata` (usage, latency): the end.
// Exception frames carry `:exception-type`; throttling is a rate limit, the rest stream errors.

const MAX_ERROR_MESSAGE = 300;
const utf8 = new TextDecoder();

/** SigV4's basic ISO 8601 time (`20261205T120000Z`). */
export function amzDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[:-]|\.\d{3}/g, '');
}

function required(input: BuildRequestInput, name: string): string {
  const value = input.secret?.(name);
  if (value === undefined) throw new Error(`secret ${name} is not set`);
  return value;
}

/** The unsigned request: JSON body, endpoint, and a bearer Bedrock API key when no SigV4 credentials are configured. */
function buildBedrockRequest(input: BuildRequestInput): BuiltRequest {
  const { target, maxTokens } = input;
  const extra = target.extra_body;
  const extraInference = extra.inferenceConfig;
  const body = JSON.stringify({
    ...extra,
    messages: [{ role: 'user', content: [{ text: input.prompt }] }],
    // Bedrock cannot be forced to an exact length: maxTokens is a ceiling (stopReason says why it stopped).
    inferenceConfig: { ...(isObject(extraInference) ? extraInference : {}), maxTokens },
  });
  const url = endpointUrl(target.base_url, `/model/${encodeURIComponent(target.model)}/converse-stream`);
  const headers = baseHeaders(target, input.requestId, 'application/vnd.amazon.eventstream');
  // A Bedrock API key (the config check requires it or `aws`).
  if (!target.aws && input.apiKey) headers.authorization = `Bearer ${input.apiKey}`;
  return { url, init: { method: 'POST', headers, body } };
}

/** SigV4 (service `bedrock`) from the named secrets, at the injected clock's time; unchanged without `aws`. */
async function signBedrockRequest(built: BuiltRequest, input: BuildRequestInput): Promise<BuiltRequest> {
  const aws = input.target.aws;
  if (!aws) return built;
  const sessionToken = aws.session_token_secret ? required(input, aws.session_token_secret) : undefined;
  const signer = new AwsV4Signer({
    method: 'POST',
    url: built.url,
    headers: built.init.headers,
    body: built.init.body,
    accessKeyId: required(input, aws.access_key_id_secret),
    secretAccessKey: required(input, aws.secret_access_key_secret),
    ...(sessionToken !== undefined ? { sessionToken } : {}),
    service: 'bedrock',
    region: aws.region,
    datetime: amzDate((input.nowMs ?? Date.now)()),
  });
  const signed = await signer.sign();
  const headers: Record<string, string> = {};
  signed.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return {
    url: signed.url.toString(),
    init: { method: 'POST', headers, body: built.init.body },
    ...(sessionToken !== undefined ? { redact: [sessionToken] } : {}),
  };
}

function bounded(text: string): string {
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text;
}

function parsePayload(message: FrameMessage): Record<string, unknown> | undefined {
  if (message.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(utf8.decode(message.body));
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Bedrock's `usage`: input excludes cache reads and writes, so the prompt is their sum. */
function bedrockUsage(usage: unknown): DecodedUsage | undefined {
  if (!isObject(usage)) return undefined;
  const out: DecodedUsage = {};
  const input = count(usage.inputTokens);
  const cacheRead = count(usage.cacheReadInputTokens);
  const cacheWrite = count(usage.cacheWriteInputTokens);
  if (input !== undefined) out.promptTokens = input + (cacheRead ?? 0) + (cacheWrite ?? 0);
  if (cacheRead !== undefined) out.cachedPromptTokens = cacheRead;
  const output = count(usage.outputTokens);
  if (output !== undefined) out.completionTokens = output;
  return out;
}

/** Classifies one decoded frame. */
export function decodeBedrockFrame(message: FrameMessage): DecodedEvent {
  const kind = stringHeader(message, ':message-type');
  if (kind === 'exception') {
    const type = stringHeader(message, ':exception-type') ?? 'exception';
    const text = parsePayload(message)?.message;
    return {
      tokenEvents: 0,
      error: {
        kind: type === 'throttlingException' ? 'rate_limited' : 'stream_error',
        message: bounded(`in-stream error ${type}${typeof text === 'string' ? `: ${text}` : ''}`),
      },
    };
  }
  if (kind === 'error') {
    const code = stringHeader(message, ':error-code') ?? 'error';
    const text = stringHeader(message, ':error-message') ?? '';
    return {
      tokenEvents: 0,
      error: {
        kind:
          code === 'ThrottlingException' || code === 'throttlingException' ? 'rate_limited' : 'stream_error',
        message: bounded(`in-stream error ${code}${text ? `: ${text}` : ''}`),
      },
    };
  }
  if (kind !== 'event') return NO_TOKEN; // unknown message types are ignored, like unknown SSE fields
  const type = stringHeader(message, ':event-type');
  if (type !== 'contentBlockDelta' && type !== 'messageStop' && type !== 'metadata') return NO_TOKEN;
  const payload = parsePayload(message);
  if (!payload)
    return { tokenEvents: 0, error: { kind: 'stream_error', message: `unparseable ${type} event payload` } };
  if (type === 'contentBlockDelta') {
    const delta = payload.delta;
    if (!isObject(delta)) return NO_TOKEN;
    if (typeof delta.text === 'string')
      return delta.text === '' ? NO_TOKEN : { tokenEvents: 1, text: delta.text };
    const reasoning = delta.reasoningContent;
    // `signature` and `redactedContent` are not text.
    if (isObject(reasoning) && typeof reasoning.text === 'string' && reasoning.text !== '')
      return { tokenEvents: 1, text: reasoning.text, reasoning: true };
    const tool = delta.toolUse;
    if (isObject(tool) && typeof tool.input === 'string' && tool.input !== '')
      return { tokenEvents: 1, text: tool.input };
    return NO_TOKEN;
  }
  if (type === 'messageStop') {
    return typeof payload.stopReason === 'string'
      ? { tokenEvents: 0, finishReason: payload.stopReason }
      : NO_TOKEN;
  }
  // metadata: the last event of a complete stream.
  const decoded: DecodedEvent = { tokenEvents: 0, end: true };
  const usage = bedrockUsage(payload.usage);
  if (usage) decoded.usage = usage;
  const metrics = payload.metrics;
  if (isObject(metrics) && typeof metrics.latencyMs === 'number' && Number.isFinite(metrics.latencyMs))
    decoded.serverLatencyMs = metrics.latencyMs;
  return decoded;
}

function createBedrockFrameDecoder(maxFrameBytes: number): FrameDecoder {
  const splitter = createEventFrameSplitter(maxFrameBytes);
  return {
    push(bytes, emit) {
      const failed = splitter.push(bytes, (message) => emit(decodeBedrockFrame(message)));
      if (failed) emit({ tokenEvents: 0, error: { kind: 'stream_error', message: failed } });
    },
    end() {
      const cut = splitter.end();
      return cut ? { kind: 'stream_error', message: cut } : undefined;
    },
  };
}

export const bedrockConverseAdapter: TargetAdapter = {
  api: 'bedrock-converse',
  buildRequest: buildBedrockRequest,
  signRequest: signBedrockRequest,
  createEventDecoder: () => ({
    decode: () => ({
      tokenEvents: 0,
      error: { kind: 'stream_error', message: 'Bedrock streams are not SSE' },
    }),
  }),
  createFrameDecoder: createBedrockFrameDecoder,
};

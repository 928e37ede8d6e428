import type { DecodedEvent, DecodedUsage } from './target-adapter.ts';
import type { Target } from './target-config.ts';

// Small helpers shared by the adapters (the OpenAI-style ones, Anthropic Messages, OpenAI Responses,
// Gemini, Workers AI, Bedrock). Everything here runs per event or per request, so it stays
// allocation-light.

/** Event data that is not a JSON object: the `stream_error` the adapter returns for it. */
export class BadEvent {
  readonly decoded: DecodedEvent;
  constructor(decoded: DecodedEvent) {
    this.decoded = decoded;
  }
}

/** A parsed event object, or a BadEvent for data that is not a JSON object. */
export function parseEventObject(data: string): Record<string, unknown> | BadEvent {
  let obj: unknown;
  try {
    obj = JSON.parse(data);
  } catch {
    const head = data.length > 80 ? `${data.slice(0, 80)}…` : data;
    return new BadEvent({
      tokenEvents: 0,
      error: { kind: 'stream_error', message: `unparseable event data: ${head}` },
    });
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    return new BadEvent({
      tokenEvents: 0,
      error: { kind: 'stream_error', message: 'event data is not a JSON object' },
    });
  return obj as Record<string, unknown>;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A reported count: a non-negative integer, else undefined. */
export function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** The usage with its undefined fields left out, or undefined when none is set. */
export function usageOf(u: DecodedUsage): DecodedUsage | undefined {
  const out: DecodedUsage = {};
  if (u.promptTokens !== undefined) out.promptTokens = u.promptTokens;
  if (u.completionTokens !== undefined) out.completionTokens = u.completionTokens;
  if (u.reasoningTokens !== undefined) out.reasoningTokens = u.reasoningTokens;
  if (u.cachedPromptTokens !== undefined) out.cachedPromptTokens = u.cachedPromptTokens;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Headers every adapter sends; `extra_headers` override the defaults (lower-cased). */
export function baseHeaders(
  target: Target,
  requestId: string,
  accept = 'text/event-stream',
): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept };
  for (const [name, value] of Object.entries(target.extra_headers)) headers[name.toLowerCase()] = value;
  headers['x-request-id'] = requestId;
  return headers;
}

const MAX_ERROR_MESSAGE = 300;

/** A provider's error text, capped (the loop redacts the key from it before storing). */
export function errorText(parts: unknown[]): string {
  const text = parts
    .filter((p) => p !== undefined && p !== null && p !== '')
    .map(String)
    .join(': ');
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text;
}

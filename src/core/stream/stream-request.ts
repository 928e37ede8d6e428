import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import type { Outcome, RequestRecord } from '../record/request-record.ts';
import { chunkTokenCounts, type ReadObservation } from './chunk-token-counts.ts';
import { createDeferQueue, type DeferTask } from './defer-task.ts';
import { parseRetryAfter, readBounded, redact, summarizeErrorBody } from './error-response.ts';
import type { HeaderWaitGauge } from './header-wait-gauge.ts';
import { classifyNetworkError, type NetworkFailureKind } from './network-error.ts';
import type { BuildRequestInput, BuiltRequest, DecodedEvent, TargetAdapter } from './target-adapter.ts';
import type { Target } from './target-config.ts';

// One streamed request, timed as docs/streaming.md describes. Every failure is a typed outcome
// in the returned record: this function never throws.

export interface StreamRequestInput {
  fetch: typeof fetch;
  /** Epoch ms; read once per network read. */
  nowMs: () => number;
  adapter: TargetAdapter;
  target: Target;
  /** The key itself, resolved from `target.api_key_secret`; never stored or reported. */
  apiKey?: string;
  /** Resolves other named secrets (AWS credentials) for adapters that need them. */
  secret?: (name: string) => string | undefined;
  id: string;
  prompt: string;
  /** The generator's exact count, used when the server reports no usage. */
  promptTokens: number;
  maxTokens: number;
  scheduledAtMs?: number;
  /** From the send to the end of the body (headers included). */
  timeoutMs: number;
  /** Cancels the run: the request ends as `cancelled`. */
  signal?: AbortSignal;
  gauge?: HeaderWaitGauge;
  /** Largest SSE event or buffered line, in characters (default 1 MiB); beyond it: `stream_error`. */
  maxBufferSize?: number;
  /** Token-carrying reads kept before the stream is ended as a `stream_error` (default MAX_TOKEN_READS). */
  maxTokenReads?: number;
  /** Keep the generated text (all channels) in `result.text`, e.g. for a tokenizer after the run. */
  collectText?: boolean;
  /** Runs decoding after the reads that are ready now: one queue per Durable Object (default: the request's own). */
  defer?: DeferTask;
}

export interface StreamResult {
  /** The interchange record, without `region` (the caller knows where it ran). */
  record: RequestRecord;
  finishReason?: string;
  /** The provider's own latency for the request, when it reports one (Bedrock `metrics.latencyMs`). */
  serverLatencyMs?: number;
  /** From `Retry-After` / `retry-after-ms` on an error response. */
  retryAfterS?: number;
  /** Dispatched while the gauge's limit of requests were already waiting for headers. */
  headerWaitSaturated: boolean;
  /** `read()` calls that returned bytes. */
  reads: number;
  /** SSE events dispatched (end marker included). */
  events: number;
  text?: string;
  /** When `fetch` itself failed (`network_error` before any headers): what happened, as far as known. */
  networkFailure?: NetworkFailureKind;
}

const DEFAULT_MAX_BUFFER_SIZE = 1 << 20;
const ERROR_BODY_LIMIT = 2048;
/**
 * Token-carrying reads kept per request. A record is one D1 row whose chunk timeline must stay
 * under ~1.9 MB; at workerd's 1 ms resolution a chunk encodes in 2–3 bytes, so 200,000 reads are
 * ~0.6 MB with room for large token counts. Real streams stay far below (a 128k-token answer at one
 * token per read is 128k reads); a stream past it ends as a `stream_error` with what it measured.
 */
const MAX_TOKEN_READS = 200_000;
/** Finish reasons that make an empty completion a legitimate `ok` (docs/streaming.md, outcomes). */
const NORMAL_FINISH = new Set([
  'stop',
  'length',
  'eos',
  'tool_calls',
  'function_call',
  'end_turn',
  'max_tokens',
  // Anthropic, OpenAI Responses (status or incomplete reason), Gemini.
  'stop_sequence',
  'completed',
  'max_output_tokens',
  'STOP',
  'MAX_TOKENS',
]);

/** 429, and Anthropic's 529 "overloaded": both say "too busy, come back later". */
const RATE_LIMIT_STATUSES = new Set([429, 529]);

type Failure = { outcome: Outcome; error: string };

export async function streamRequest(input: StreamRequestInput): Promise<StreamResult> {
  try {
    return await streamRequestUnguarded(input);
  } catch (err) {
    // Not expected (every known failure is handled below); still data, never an exception.
    let at = 0;
    try {
      at = input.nowMs();
    } catch {}
    return result(input, at, { outcome: 'stream_error', error: `internal error: ${msg(err)}` });
  }
}

async function streamRequestUnguarded(given: StreamRequestInput): Promise<StreamResult> {
  let input: StreamRequestInput & { redactAlso?: readonly string[] } = given;
  const doFetch = input.fetch; // called without a receiver: Workers' fetch rejects a foreign `this`
  const { nowMs, signal, gauge, apiKey, timeoutMs } = input;
  const maxBufferSize = input.maxBufferSize ?? DEFAULT_MAX_BUFFER_SIZE;
  const maxTokenReads = input.maxTokenReads ?? MAX_TOKEN_READS;
  const defer = input.defer ?? createDeferQueue();

  // Built before the send mark: CPU work after it would read as network time
  // (docs/streaming.md#why-nothing-heavy-happens-before-the-send-mark).
  let built: BuiltRequest;
  try {
    const buildInput: BuildRequestInput = {
      target: input.target,
      apiKey,
      requestId: input.id,
      prompt: input.prompt,
      maxTokens: input.maxTokens,
      ...(input.secret ? { secret: input.secret } : {}),
      nowMs,
    };
    built = input.adapter.buildRequest(buildInput);
    // Signing (SigV4) is async; it still completes before the send mark.
    if (input.adapter.signRequest) built = await input.adapter.signRequest(built, buildInput);
  } catch (err) {
    return result(input, nowMs(), {
      outcome: 'network_error',
      error: `could not build request: ${msg(err)}`,
    });
  }
  if (signal?.aborted) {
    return result(input, nowMs(), { outcome: 'cancelled', error: 'cancelled before sending' });
  }

  const controller = new AbortController();
  let abortCause: 'timeout' | 'cancelled' | undefined;
  const onCancel = (): void => {
    abortCause ??= 'cancelled';
    controller.abort();
  };
  signal?.addEventListener('abort', onCancel, { once: true });
  const headerWaitSaturated = gauge ? gauge.begin() : false;
  let gaugeOpen = gauge !== undefined;
  const closeGauge = (): void => {
    if (gaugeOpen) gauge?.end();
    gaugeOpen = false;
  };
  const timer = setTimeout(() => {
    abortCause ??= 'timeout';
    controller.abort();
  }, timeoutMs);

  if (built.redact) input = { ...input, redactAlso: built.redact };
  const init: RequestInit = { ...built.init, signal: controller.signal };
  const sentAt = nowMs();
  let headersMs: number | undefined;
  let status: number | undefined;
  let retryAfterS: number | undefined;
  try {
    let response: Response;
    try {
      response = await doFetch(built.url, init);
      headersMs = Math.max(0, nowMs() - sentAt);
    } catch (err) {
      if (abortCause)
        return result(input, sentAt, {
          headerWaitSaturated,
          outcome: abortCause,
          error: `${abortCause === 'timeout' ? `timeout after ${timeoutMs} ms` : 'cancelled'} waiting for response headers`,
        });
      const failure = classifyNetworkError(err);
      return result(input, sentAt, {
        headerWaitSaturated,
        outcome: 'network_error',
        error: failure.text,
        networkFailure: failure.kind,
      });
    } finally {
      closeGauge();
    }
    status = response.status;
    const base = { headersMs, status, headerWaitSaturated };
    const contentType = (): string => response.headers.get('content-type') ?? 'none';

    if (!response.ok) {
      retryAfterS = parseRetryAfter(response.headers, nowMs());
      const summary = summarizeErrorBody(await readBounded(response.body, ERROR_BODY_LIMIT));
      const wait = retryAfterS === undefined ? '' : ` (retry after ${retryAfterS} s)`;
      return result(input, sentAt, {
        ...base,
        retryAfterS,
        outcome: RATE_LIMIT_STATUSES.has(status) ? 'rate_limited' : 'http_error',
        error: `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}${wait}${summary ? `: ${summary}` : ''}`,
      });
    }
    const body = response.body;
    if (body === null)
      return result(input, sentAt, { ...base, outcome: 'truncated', error: 'empty response body' });

    // --- the hot loop: one timestamp per read, minimal work per event (docs/streaming.md) ---
    const decoder = input.adapter.createEventDecoder();
    const reads: ReadObservation[] = [];
    const textParts: string[] | undefined = input.collectText ? [] : undefined;
    let readAt = headersMs ?? 0;
    let readTokenEvents = 0;
    let readUsage: number | undefined;
    let usagePrompt: number | undefined;
    let usageReasoning: number | undefined;
    let usageCached: number | undefined;
    let firstReasoningAt = -1;
    let firstVisibleAt = -1;
    let finishReason: string | undefined;
    let serverLatencyMs: number | undefined;
    let ended = false;
    let streamError: DecodedEvent['error'];
    let readCount = 0;
    let events = 0;
    /** At EOF the flush dispatches whatever was buffered: a half-received last event is a cut-off stream. */
    let flushing = false;
    let cutOffAtEof = false;
    /** The start of a body that brought no SSE event (a JSON error answered with 200, say). */
    let head = '';

    // An end marker may carry usage too (Bedrock's closing `metadata` event).
    const take = (d: DecodedEvent): void => {
      if (d.error) {
        streamError = d.error;
        return;
      }
      if (d.tokenEvents > 0) {
        readTokenEvents += d.tokenEvents;
        // The reasoning split: two marks per request, one comparison per token event.
        if (d.reasoning) {
          if (firstReasoningAt < 0) firstReasoningAt = readAt;
        } else if (firstVisibleAt < 0) firstVisibleAt = readAt;
        if (textParts && d.text !== undefined) textParts.push(d.text);
      }
      const usage = d.usage;
      if (usage) {
        if (usage.completionTokens !== undefined) readUsage = usage.completionTokens;
        if (usage.promptTokens !== undefined) usagePrompt = usage.promptTokens;
        if (usage.reasoningTokens !== undefined) usageReasoning = usage.reasoningTokens;
        if (usage.cachedPromptTokens !== undefined) usageCached = usage.cachedPromptTokens;
      }
      if (d.finishReason !== undefined) finishReason = d.finishReason;
      if (d.serverLatencyMs !== undefined) serverLatencyMs = d.serverLatencyMs;
      if (d.end) ended = true;
    };
    // A protocol with its own byte framing (Bedrock's event stream) replaces the SSE parser.
    const frames = input.adapter.createFrameDecoder?.(maxBufferSize);
    const onFrame = (d: DecodedEvent): void => {
      if (ended || streamError) return;
      events++;
      take(d);
    };
    const parser = createParser({
      maxBufferSize,
      onEvent(ev: EventSourceMessage): void {
        if (ended || streamError) return; // nothing after the end marker or an error counts
        events++;
        // The parser bounds data buffered across reads; an event that arrives whole is checked here.
        if (ev.data.length > maxBufferSize) {
          streamError = { kind: 'stream_error', message: `event larger than ${maxBufferSize} characters` };
          return;
        }
        if (flushing && ev.data !== '[DONE]' && !isJson(ev.data)) {
          cutOffAtEof = true;
          return;
        }
        take(decoder.decode(ev.data, ev.event));
      },
      onError(err: ParseError): void {
        // Unknown fields and bad `retry:` values are ignorable; a buffer overflow stops the parser.
        if (err.type === 'max-buffer-size-exceeded')
          streamError ??= { kind: 'stream_error', message: `event larger than ${maxBufferSize} characters` };
      },
      onComment(): void {}, // keep-alives (`: keep-alive`, `: OPENROUTER PROCESSING`) are not events
    });
    const endRead = (): void => {
      if (readTokenEvents > 0 || readUsage !== undefined) {
        reads.push(
          readUsage === undefined
            ? { offsetMs: readAt, tokenEvents: readTokenEvents }
            : { offsetMs: readAt, tokenEvents: readTokenEvents, completionTokens: readUsage },
        );
        readTokenEvents = 0;
        readUsage = undefined;
      }
    };

    const reader = body.getReader();
    const utf8 = new TextDecoder();
    let readFailure: unknown;
    let eof = false;
    let cancelled = false;
    const decodeRead = (value: Uint8Array): void => {
      readCount++;
      if (frames) frames.push(value, onFrame);
      else {
        const text = utf8.decode(value, { stream: true });
        if (events === 0 && head.length < ERROR_BODY_LIMIT) head += text;
        parser.feed(text);
      }
      endRead();
      if (reads.length >= maxTokenReads && !ended && !streamError)
        streamError = { kind: 'stream_error', message: `more than ${maxTokenReads} token-carrying reads` };
    };
    // The read loop only stamps and queues each read; decoding runs in a later task. Reads that
    // become ready together are all stamped before any of them is decoded, so one stream's decoding
    // never delays another stream's timestamp (docs/streaming.md#the-read-loop).
    const queued: Uint8Array[] = [];
    const queuedAt: number[] = [];
    let decodeScheduled = false;
    const decodeQueued = (): void => {
      decodeScheduled = false;
      for (let i = 0; i < queued.length && !ended && !streamError; i++) {
        readAt = queuedAt[i] as number;
        decodeRead(queued[i] as Uint8Array);
      }
      queued.length = 0;
      queuedAt.length = 0;
      if ((ended || streamError) && !cancelled) {
        // Stop at the marker: HTTP/2 and keep-alive streams may stay open long after it.
        cancelled = true;
        reader.cancel().catch(() => {});
      }
    };
    let stamp = readAt; // offsets never decrease, even if the clock steps back
    try {
      for (;;) {
        const { value, done } = await reader.read();
        const at = nowMs() - sentAt; // the read's single timestamp, before any decoding
        if (at > stamp) stamp = at;
        if (done || cancelled) break;
        queued.push(value);
        queuedAt.push(stamp);
        if (!decodeScheduled) {
          decodeScheduled = true;
          defer(decodeQueued);
        }
      }
      decodeQueued();
      if (!ended && !streamError && !cancelled) {
        readAt = stamp;
        if (frames) {
          const cut = frames.end();
          if (cut) streamError ??= cut;
        } else {
          // Flush: a last event without its blank line is otherwise never dispatched.
          parser.feed(utf8.decode());
          flushing = true;
          if (!streamError) parser.feed('\n\n');
        }
        endRead();
        eof = true;
        // No end marker in the protocol (Gemini): a finish reason, then EOF, is the end.
        if (input.adapter.endsAtEof && finishReason !== undefined && !streamError && !cutOffAtEof)
          ended = true;
      }
    } catch (err) {
      readFailure = err;
      decodeQueued();
      endRead();
    }

    let failure: Failure | undefined;
    const counts = chunkTokenCounts(reads);
    if (streamError) failure = { outcome: streamError.kind, error: streamError.message };
    else if (ended) {
      const empty = counts.outputTokens === 0 && counts.chunks.length === 0;
      if (empty && !(finishReason !== undefined && NORMAL_FINISH.has(finishReason)))
        failure = {
          outcome: 'stream_error',
          error: `empty completion (finish_reason: ${finishReason ?? 'none'})`,
        };
    } else if (abortCause) {
      failure = {
        outcome: abortCause,
        error:
          abortCause === 'timeout'
            ? `timeout after ${timeoutMs} ms while streaming`
            : 'cancelled while streaming',
      };
    } else if (readFailure !== undefined) {
      failure = { outcome: 'truncated', error: `stream broke before [DONE]: ${msg(readFailure)}` };
    } else if (eof && events === 0 && isJson(head.trim()) && /"error"/.test(head)) {
      // A provider error answered as plain JSON with status 200.
      const summary = summarizeErrorBody(head);
      failure = {
        outcome: /rate.?limit|"code"\s*:\s*"?429/i.test(head) ? 'rate_limited' : 'stream_error',
        error: `error body with HTTP ${status} instead of a stream: ${summary}`,
      };
    } else if (eof) {
      // Zero events usually means the server ignored `stream: true` and answered with plain JSON.
      const detail = events === 0 ? ` and without any SSE event (content-type: ${contentType()})` : '';
      const cut = cutOffAtEof ? ' (its last event was cut off)' : '';
      failure = { outcome: 'truncated', error: `stream ended without [DONE]${cut}${detail}` };
    }
    return result(input, sentAt, {
      ...base,
      ...(failure ?? { outcome: 'ok' }),
      counts,
      usagePrompt,
      reasoning: reasoningSplit(usageReasoning, usageCached, firstReasoningAt, firstVisibleAt),
      finishReason,
      serverLatencyMs,
      reads: readCount,
      events,
      text: textParts?.join(''),
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCancel);
    closeGauge();
  }
}

interface ResultParts {
  outcome: Outcome;
  error?: string;
  headersMs?: number | undefined;
  status?: number | undefined;
  headerWaitSaturated?: boolean;
  retryAfterS?: number | undefined;
  counts?: ReturnType<typeof chunkTokenCounts>;
  usagePrompt?: number | undefined;
  reasoning?: ReasoningFields;
  finishReason?: string | undefined;
  serverLatencyMs?: number | undefined;
  reads?: number;
  events?: number;
  text?: string | undefined;
  networkFailure?: NetworkFailureKind;
}

function result(input: StreamRequestInput, sentAt: number, p: ResultParts): StreamResult {
  const counts = p.counts;
  const record: RequestRecord = {
    id: input.id,
    ...(input.scheduledAtMs !== undefined ? { scheduled_at_ms: input.scheduledAtMs } : {}),
    sent_at_ms: sentAt,
    ...(p.headersMs !== undefined ? { headers_ms: p.headersMs } : {}),
    prompt_tokens: p.usagePrompt ?? input.promptTokens,
    output_tokens: counts?.outputTokens ?? 0,
    chunks: counts?.chunks ?? [],
    token_count_source: counts?.source ?? 'events',
    outcome: p.outcome,
    ...(p.status !== undefined ? { status: p.status } : {}),
    ...(p.error !== undefined ? { error: redactAll(p.error, input) } : {}),
    ...p.reasoning,
  };
  const out: StreamResult = {
    record,
    headerWaitSaturated: p.headerWaitSaturated ?? false,
    reads: p.reads ?? 0,
    events: p.events ?? 0,
  };
  if (p.finishReason !== undefined) out.finishReason = p.finishReason;
  if (p.serverLatencyMs !== undefined) out.serverLatencyMs = p.serverLatencyMs;
  if (p.retryAfterS !== undefined) out.retryAfterS = p.retryAfterS;
  if (p.text !== undefined) out.text = p.text;
  if (p.networkFailure !== undefined) out.networkFailure = p.networkFailure;
  return out;
}

function redactAll(text: string, input: StreamRequestInput & { redactAlso?: readonly string[] }): string {
  let out = redact(text, input.apiKey);
  for (const value of input.redactAlso ?? []) out = redact(out, value);
  return out;
}

type ReasoningFields = Pick<
  RequestRecord,
  'reasoning_tokens' | 'first_reasoning_ms' | 'first_visible_ms' | 'cached_prompt_tokens'
>;

/**
 * The record's reasoning fields. `first_visible_ms` is kept only when there was reasoning (streamed
 * or reported): otherwise the first visible token is the first token, already in `chunks`.
 */
function reasoningSplit(
  reasoningTokens: number | undefined,
  cachedTokens: number | undefined,
  firstReasoningAt: number,
  firstVisibleAt: number,
): ReasoningFields | undefined {
  const out: ReasoningFields = {};
  if (reasoningTokens !== undefined) out.reasoning_tokens = reasoningTokens;
  if (cachedTokens !== undefined) out.cached_prompt_tokens = cachedTokens;
  if (firstReasoningAt >= 0) out.first_reasoning_ms = firstReasoningAt;
  if (firstVisibleAt >= 0 && (firstReasoningAt >= 0 || (reasoningTokens ?? 0) > 0))
    out.first_visible_ms = firstVisibleAt;
  return out;
}

function msg(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  // undici hides the reason (ECONNREFUSED, …) in `cause`.
  if (cause instanceof Error && cause.message && cause.message !== err.message)
    return `${err.message} (${cause.message})`;
  return err.message || err.name;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

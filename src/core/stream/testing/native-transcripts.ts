// SSE transcripts in the documented shapes of Anthropic Messages, OpenAI Responses and Gemini's
// native stream, written from the providers' API references (event names, field names, where usage
// sits), built from a list of generated pieces so each test knows what it should measure.

export type NativeApi = 'anthropic-messages' | 'openai-responses' | 'gemini';

export interface NativePiece {
  text: string;
  /** Tokens the provider generated for this piece; default 1. */
  tokens?: number;
  /** Thinking / reasoning summary / thought part. */
  reasoning?: boolean;
}

export interface NativeSpec {
  api: NativeApi;
  pieces: NativePiece[];
  promptTokens?: number;
  cachedTokens?: number;
  /** Reasoning tokens the provider reports; default: the tokens of the reasoning pieces. */
  reasoningTokens?: number;
  /** Keep-alive events where the protocol has them (Anthropic `ping`). */
  pings?: boolean;
  crlf?: boolean;
  /** How the stream ends: normally, cut before its end marker, or with an in-stream error. */
  end?: 'normal' | 'cut' | 'error';
}

export interface NativeTranscript {
  sse: string;
  text: string;
  outputTokens: number;
  reasoningTokens: number;
  promptTokens: number;
  cachedTokens: number;
}

export function buildNativeTranscript(spec: NativeSpec): NativeTranscript {
  const nl = spec.crlf ? '\r\n' : '\n';
  const prompt = spec.promptTokens ?? 40;
  const cached = spec.cachedTokens ?? 0;
  const out: string[] = [];
  const event = (name: string | undefined, data: unknown) =>
    out.push(`${name ? `event: ${name}${nl}` : ''}data: ${JSON.stringify(data)}${nl}${nl}`);
  let output = 0;
  let reasoning = 0;
  for (const p of spec.pieces) {
    output += p.tokens ?? 1;
    if (p.reasoning) reasoning += p.tokens ?? 1;
  }
  const reported = spec.reasoningTokens ?? reasoning;
  const end = spec.end ?? 'normal';
  if (spec.api === 'anthropic-messages') anthropic(spec, event, { prompt, cached, output, end });
  else if (spec.api === 'openai-responses') responses(spec, event, { prompt, cached, output, reported, end });
  else gemini(spec, event, { prompt, cached, reported, end });
  return {
    sse: out.join(''),
    text: spec.pieces.map((p) => p.text).join(''),
    outputTokens: output,
    reasoningTokens: reported,
    promptTokens: prompt,
    cachedTokens: cached,
  };
}

type Emit = (name: string | undefined, data: unknown) => void;

function anthropic(
  spec: NativeSpec,
  event: Emit,
  n: { prompt: number; cached: number; output: number; end: string },
): void {
  event('message_start', {
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-x',
      stop_reason: null,
      stop_sequence: null,
      // input_tokens excludes the cache reads; output_tokens here is a placeholder.
      usage: {
        input_tokens: n.prompt - n.cached,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: n.cached,
        output_tokens: 1,
      },
    },
  });
  if (spec.pings) event('ping', { type: 'ping' });
  let index = -1;
  let open: 'thinking' | 'text' | null = null;
  const close = () => {
    if (open === 'thinking')
      event('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM' },
      });
    if (open) event('content_block_stop', { type: 'content_block_stop', index });
  };
  spec.pieces.forEach((p, i) => {
    const kind = p.reasoning ? 'thinking' : 'text';
    if (kind !== open) {
      close();
      index++;
      open = kind;
      event('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: kind === 'thinking' ? { type: 'thinking', thinking: '' } : { type: 'text', text: '' },
      });
    }
    event('content_block_delta', {
      type: 'content_block_delta',
      index,
      delta:
        kind === 'thinking'
          ? { type: 'thinking_delta', thinking: p.text }
          : { type: 'text_delta', text: p.text },
    });
    if (spec.pings && i % 3 === 1) event('ping', { type: 'ping' });
    if (n.end === 'error' && i === Math.floor(spec.pieces.length / 2))
      event('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });
  close();
  event('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: n.output },
  });
  if (n.end === 'normal') event('message_stop', { type: 'message_stop' });
}

function responses(
  spec: NativeSpec,
  event: Emit,
  n: { prompt: number; cached: number; output: number; reported: number; end: string },
): void {
  let seq = 0;
  const e = (type: string, data: Record<string, unknown>) =>
    event(type, { type, sequence_number: seq++, ...data });
  const response = (status: string) => ({
    id: 'resp_1',
    object: 'response',
    created_at: 1,
    status,
    model: 'o-x',
    output: [],
    incomplete_details: null,
    error: null,
    usage: null,
  });
  e('response.created', { response: response('in_progress') });
  e('response.in_progress', { response: response('in_progress') });
  spec.pieces.forEach((p, i) => {
    if (p.reasoning)
      e('response.reasoning_summary_text.delta', {
        item_id: 'rs_1',
        output_index: 0,
        summary_index: 0,
        delta: p.text,
      });
    else
      e('response.output_text.delta', { item_id: 'msg_1', output_index: 1, content_index: 0, delta: p.text });
    if (n.end === 'error' && i === Math.floor(spec.pieces.length / 2))
      e('error', { code: 'server_error', message: 'The server had an error', param: null });
  });
  if (n.end !== 'normal') return;
  e('response.completed', {
    response: {
      ...response('completed'),
      usage: {
        input_tokens: n.prompt,
        input_tokens_details: { cached_tokens: n.cached },
        output_tokens: n.output,
        output_tokens_details: { reasoning_tokens: n.reported },
        total_tokens: n.prompt + n.output,
      },
    },
  });
}

function gemini(
  spec: NativeSpec,
  event: Emit,
  n: { prompt: number; cached: number; reported: number; end: string },
): void {
  let candidates = 0;
  let thoughts = 0;
  spec.pieces.forEach((p, i) => {
    if (p.reasoning) thoughts += p.tokens ?? 1;
    else candidates += p.tokens ?? 1;
    const last = i === spec.pieces.length - 1;
    event(undefined, {
      candidates: [
        {
          content: {
            role: 'model',
            parts: [p.reasoning ? { text: p.text, thought: true } : { text: p.text }],
          },
          index: 0,
          ...(last && n.end === 'normal' ? { finishReason: 'STOP' } : {}),
        },
      ],
      usageMetadata: {
        promptTokenCount: n.prompt,
        candidatesTokenCount: candidates,
        totalTokenCount: n.prompt + candidates + thoughts,
        ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
        ...(n.cached > 0 ? { cachedContentTokenCount: n.cached } : {}),
      },
      modelVersion: 'gemini-x',
      responseId: 'r1',
    });
    if (n.end === 'error' && i === Math.floor(spec.pieces.length / 2))
      event(undefined, { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } });
  });
}

/** Thinking first, then the answer, with multi-byte UTF-8 and whitespace-only pieces. */
export const SAMPLE_NATIVE_PIECES: NativePiece[] = [
  { text: 'Let me think… ', tokens: 4, reasoning: true },
  { text: 'the user wants ünïcode.', tokens: 6, reasoning: true },
  { text: 'Héllo', tokens: 2 },
  { text: ' ', tokens: 1 },
  { text: '你好 🎉', tokens: 3 },
  { text: '\n', tokens: 1 },
  { text: 'naïve café', tokens: 3 },
];

// SSE transcripts for streaming tests, built from a list of generated pieces so each test knows
// the exact text, token events and usage it should measure; plus helpers to re-chunk the bytes at
// arbitrary boundaries and serve them from memory (one enqueued piece = one `read()`).

export type Channel = 'content' | 'reasoning' | 'reasoning_content' | 'refusal' | 'tool_args';

export interface Piece {
  text: string;
  /** Chat only; default 'content'. */
  channel?: Channel;
  /** Tokens the server generated for this piece (for usage); default 1. */
  tokens?: number;
}

export interface TranscriptSpec {
  api: 'openai-chat' | 'openai-completions';
  pieces: Piece[];
  /** Role-only first chunk (`delta: {role, content: ''}`), chat only; default true. */
  roleChunk?: boolean;
  /** Final usage-only chunk; default true. Its `choices` shape varies across servers. */
  usageChunk?: boolean;
  usageChoices?: 'empty' | 'null' | 'missing';
  /** Cumulative usage on every chunk (vLLM `continuous_usage_stats`). */
  continuousUsage?: boolean;
  promptTokens?: number;
  finishReason?: string;
  /** `: keep-alive` comments before and between events. */
  comments?: boolean;
  crlf?: boolean;
  /** Send `data: [DONE]`; default true. */
  done?: boolean;
  /** The blank line after `[DONE]`; default true. */
  finalBlankLine?: boolean;
}

export interface Transcript {
  sse: string;
  /** Every generated piece concatenated: what a correct client reads back. */
  text: string;
  /** Chunks with a non-empty payload. */
  tokenEvents: number;
  completionTokens: number;
  promptTokens: number;
}

export function buildTranscript(spec: TranscriptSpec): Transcript {
  const nl = spec.crlf ? '\r\n' : '\n';
  const promptTokens = spec.promptTokens ?? 17;
  const chat = spec.api === 'openai-chat';
  const object = chat ? 'chat.completion.chunk' : 'text_completion';
  const out: string[] = [];
  let cumulative = 0;
  const usage = () => ({
    prompt_tokens: promptTokens,
    completion_tokens: cumulative,
    total_tokens: promptTokens + cumulative,
  });
  const emit = (choice: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) => {
    if (spec.comments) out.push(`: keep-alive${nl}${nl}`);
    const chunk: Record<string, unknown> = { id: 'cmpl-1', object, created: 1, model: 'm' };
    if (choice) chunk.choices = [{ index: 0, ...choice }];
    Object.assign(chunk, extra);
    if (spec.continuousUsage && !('usage' in extra)) chunk.usage = usage();
    out.push(`data: ${JSON.stringify(chunk)}${nl}${nl}`);
  };
  if (chat && (spec.roleChunk ?? true))
    emit({ delta: { role: 'assistant', content: '' }, finish_reason: null });
  let tokenEvents = 0;
  for (const piece of spec.pieces) {
    cumulative += piece.tokens ?? 1;
    if (piece.text !== '') tokenEvents++;
    emit(chat ? { delta: chatDelta(piece), finish_reason: null } : { text: piece.text, finish_reason: null });
  }
  const finish = spec.finishReason ?? 'stop';
  emit(chat ? { delta: {}, finish_reason: finish } : { text: '', finish_reason: finish });
  if (spec.usageChunk ?? true) {
    const extra: Record<string, unknown> = { usage: usage() };
    const shape = spec.usageChoices ?? 'empty';
    if (shape !== 'missing') extra.choices = shape === 'empty' ? [] : null;
    emit(undefined, extra);
  }
  if (spec.done ?? true) out.push(`data: [DONE]${spec.finalBlankLine === false ? '' : `${nl}${nl}`}`);
  return {
    sse: out.join(''),
    text: spec.pieces.map((p) => p.text).join(''),
    tokenEvents,
    completionTokens: cumulative,
    promptTokens,
  };
}

function chatDelta(piece: Piece): Record<string, unknown> {
  switch (piece.channel ?? 'content') {
    case 'content':
      return { content: piece.text };
    case 'reasoning':
      return { reasoning: piece.text, content: null };
    case 'reasoning_content':
      return { reasoning_content: piece.text, content: null };
    case 'refusal':
      return { refusal: piece.text, content: null };
    case 'tool_args':
      return { tool_calls: [{ index: 0, function: { arguments: piece.text } }] };
  }
}

/** Reasoning, multi-byte UTF-8 (2-, 3- and 4-byte characters) and whitespace-only output. */
export const SAMPLE_CHAT_PIECES: Piece[] = [
  { channel: 'reasoning_content', text: 'Let me think… ', tokens: 4 },
  { channel: 'reasoning', text: 'ok.', tokens: 2 },
  { text: 'Héllo', tokens: 2 },
  { text: ' wörld', tokens: 2 },
  { text: ' ', tokens: 1 },
  { text: '你好', tokens: 2 },
  { text: ' 🎉🎉', tokens: 3 },
  { text: '\n', tokens: 1 },
  { text: 'naïve café', tokens: 3 },
];

export const SAMPLE_COMPLETION_PIECES: Piece[] = [
  { text: ' Once', tokens: 1 },
  { text: ' upon', tokens: 1 },
  { text: ' a tîme', tokens: 3 },
  { text: ' ', tokens: 1 },
  { text: '— 東京 🚀', tokens: 4 },
  { text: '.', tokens: 1 },
];

/** Splits bytes at the given offsets (any order, duplicates and out-of-range ones ignored). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const sorted = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const cut of sorted) {
    pieces.push(bytes.subarray(from, cut));
    from = cut;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

/** A `fetch` that answers from memory: each piece becomes exactly one `read()` of the body. */
export function memoryFetch(
  pieces: readonly Uint8Array[],
  init: { status?: number; headers?: Record<string, string> } = {},
): typeof fetch {
  return (async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(piece.slice());
        controller.close();
      },
    });
    return new Response(body, {
      status: init.status ?? 200,
      headers: { 'content-type': 'text/event-stream', ...init.headers },
    });
  }) as typeof fetch;
}

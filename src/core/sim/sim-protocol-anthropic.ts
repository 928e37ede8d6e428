import { z } from 'zod';
import { countPromptWords } from '../workload/prompt-builder.ts';
import {
  ANSWER_TOKEN,
  issuesMessage,
  maxTokensSchema,
  REASONING_TOKEN,
  type SimProtocol,
  type StreamMeta,
  simFieldSchema,
  sse,
} from './sim-protocol.ts';
import { type SimStreamWriter, SSE_CONTENT_TYPE, sseBytes } from './sim-stream-writer.ts';

// Anthropic Messages as the simulator speaks it: `POST …/v1/messages` with `x-api-key`;
// message_start → (thinking block) → text block → message_delta (cumulative usage, stop_reason)
// → message_stop, with `ping`s; errors `{type: "error", error: {type, message}}`.

const contentSchema = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
]);

const bodySchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: maxTokensSchema,
  messages: z.array(z.looseObject({ role: z.string(), content: contentSchema })).min(1),
  stream: z.literal(true, { error: 'the simulator answers only streaming requests (stream: true)' }),
  sim: simFieldSchema,
});

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

function writer(meta: StreamMeta): SimStreamWriter {
  const id = `msg_sim_${meta.index}`;
  let block = -1;
  let open: 'thinking' | 'text' | null = null;
  const switchTo = (kind: 'thinking' | 'text'): string => {
    if (open === kind) return '';
    let out = '';
    if (open === 'thinking')
      out += sse(
        { type: 'content_block_delta', index: block, delta: { type: 'signature_delta', signature: 'c2lt' } },
        'content_block_delta',
      );
    if (open !== null) out += sse({ type: 'content_block_stop', index: block }, 'content_block_stop');
    block++;
    open = kind;
    const start = kind === 'thinking' ? { type: 'thinking', thinking: '' } : { type: 'text', text: '' };
    return `${out}${sse({ type: 'content_block_start', index: block, content_block: start }, 'content_block_start')}`;
  };
  return sseBytes({
    contentType: SSE_CONTENT_TYPE,
    start: () =>
      sse(
        {
          type: 'message_start',
          message: {
            id,
            type: 'message',
            role: 'assistant',
            content: [],
            model: meta.model,
            stop_reason: null,
            stop_sequence: null,
            usage: {
              input_tokens: meta.promptTokens,
              cache_creation_input_tokens: 0,
              cache_read_input_tokens: 0,
              output_tokens: 1,
            },
          },
        },
        'message_start',
      ) + sse({ type: 'ping' }, 'ping'),
    chunk(reasoning: number, answer: number): string {
      let out = '';
      if (reasoning > 0) {
        out += switchTo('thinking');
        out += sse(
          {
            type: 'content_block_delta',
            index: block,
            delta: { type: 'thinking_delta', thinking: REASONING_TOKEN.repeat(reasoning) },
          },
          'content_block_delta',
        );
      }
      if (answer > 0) {
        out += switchTo('text');
        out += sse(
          {
            type: 'content_block_delta',
            index: block,
            delta: { type: 'text_delta', text: ANSWER_TOKEN.repeat(answer) },
          },
          'content_block_delta',
        );
      }
      return out;
    },
    end: () =>
      (open !== null ? sse({ type: 'content_block_stop', index: block }, 'content_block_stop') : '') +
      sse(
        {
          type: 'message_delta',
          delta: { stop_reason: 'max_tokens', stop_sequence: null },
          usage: { output_tokens: meta.outputTokens },
        },
        'message_delta',
      ) +
      sse({ type: 'message_stop' }, 'message_stop'),
    error: () =>
      sse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded (simulated)' } }, 'error'),
  });
}

export const anthropicProtocol: SimProtocol = {
  name: 'anthropic-messages',
  route: (url) => (url.pathname.replace(/\/+$/, '').endsWith('/v1/messages') ? {} : null),
  authorized: (headers, key) => headers.get('x-api-key') === key,
  parse(body) {
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) return { ok: false, message: issuesMessage(parsed.error) };
    const b = parsed.data;
    let promptTokens = 0;
    for (const m of b.messages)
      if (typeof m.content === 'string') promptTokens += countPromptWords(m.content);
      else for (const part of m.content) promptTokens += countPromptWords(part.text ?? '');
    return {
      ok: true,
      request: {
        model: b.model,
        promptTokens,
        maxTokens: b.max_tokens,
        showReasoning: true,
        override: b.sim,
      },
    };
  },
  errorBody: (status, message) => ({
    type: 'error',
    error: { type: ERROR_TYPES[status] ?? 'api_error', message },
  }),
  overloadedStatus: 529,
  writer,
};

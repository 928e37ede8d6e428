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
import { openAIError } from './sim-request.ts';
import { type SimStreamWriter, SSE_CONTENT_TYPE, sseBytes } from './sim-stream-writer.ts';

// OpenAI Responses as the simulator speaks it: `POST …/v1/responses` with a bearer key; created →
// in_progress → (reasoning summary deltas, with `reasoning.summary`) → output_text deltas →
// `response.incomplete` (the simulator always stops at max_output_tokens) with usage, reasoning and
// cached counts; in-stream errors as a flat `error` event.

const partSchema = z.looseObject({ type: z.string(), text: z.string().optional() });
const inputSchema = z.union([
  z.string(),
  z.array(z.looseObject({ content: z.union([z.string(), z.array(partSchema)]).optional() })).min(1),
]);

const bodySchema = z.looseObject({
  model: z.string().min(1),
  input: inputSchema,
  max_output_tokens: maxTokensSchema,
  stream: z.literal(true, { error: 'the simulator answers only streaming requests (stream: true)' }),
  reasoning: z.looseObject({ summary: z.string().nullish() }).nullish(),
  sim: simFieldSchema,
});

function promptTokens(input: z.infer<typeof inputSchema>): number {
  if (typeof input === 'string') return countPromptWords(input);
  let n = 0;
  for (const item of input)
    if (typeof item.content === 'string') n += countPromptWords(item.content);
    else for (const part of item.content ?? []) n += countPromptWords(part.text ?? '');
  return n;
}

function writer(meta: StreamMeta): SimStreamWriter {
  let seq = 0;
  const id = `resp_sim_${meta.index}`;
  const event = (type: string, data: Record<string, unknown>) =>
    sse({ type, sequence_number: seq++, ...data }, type);
  const response = (status: string, extra: Record<string, unknown> = {}) => ({
    id,
    object: 'response',
    created_at: 0,
    status,
    model: meta.model,
    output: [],
    error: null,
    incomplete_details: null,
    usage: null,
    ...extra,
  });
  return sseBytes({
    contentType: SSE_CONTENT_TYPE,
    start: () =>
      event('response.created', { response: response('in_progress') }) +
      event('response.in_progress', { response: response('in_progress') }),
    chunk(reasoning: number, answer: number): string {
      let out = '';
      if (reasoning > 0 && meta.showReasoning)
        out += event('response.reasoning_summary_text.delta', {
          item_id: `rs_sim_${meta.index}`,
          output_index: 0,
          summary_index: 0,
          delta: REASONING_TOKEN.repeat(reasoning),
        });
      if (answer > 0)
        out += event('response.output_text.delta', {
          item_id: `msg_sim_${meta.index}`,
          output_index: 1,
          content_index: 0,
          delta: ANSWER_TOKEN.repeat(answer),
        });
      return out;
    },
    end: () =>
      event('response.incomplete', {
        response: response('incomplete', {
          incomplete_details: { reason: 'max_output_tokens' },
          usage: {
            input_tokens: meta.promptTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: meta.outputTokens,
            output_tokens_details: { reasoning_tokens: meta.reasoningTokens },
            total_tokens: meta.promptTokens + meta.outputTokens,
          },
        }),
      }),
    error: () => event('error', { code: 'server_error', message: 'simulated failure', param: null }),
  });
}

export const responsesProtocol: SimProtocol = {
  name: 'openai-responses',
  route: (url) => (url.pathname.replace(/\/+$/, '').endsWith('/v1/responses') ? {} : null),
  authorized: (headers, key) => headers.get('authorization') === `Bearer ${key}`,
  parse(body) {
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) return { ok: false, message: issuesMessage(parsed.error) };
    const b = parsed.data;
    return {
      ok: true,
      request: {
        model: b.model,
        promptTokens: promptTokens(b.input),
        maxTokens: b.max_output_tokens,
        showReasoning: typeof b.reasoning?.summary === 'string',
        override: b.sim,
      },
    };
  },
  errorBody: (status, message) =>
    openAIError(
      message,
      status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error',
      status === 429 ? 'rate_limit_exceeded' : null,
    ),
  overloadedStatus: 429,
  writer,
};

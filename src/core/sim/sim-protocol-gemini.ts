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

// Gemini's native stream as the simulator speaks it: `POST …/v1beta/models/{model}:streamGenerateContent`
// (`?alt=sse`) with `x-goog-api-key`; one GenerateContentResponse per chunk with the running
// usageMetadata, thought parts only with thinkingConfig.includeThoughts, `finishReason` on the last
// chunk and then EOF (no end marker); errors `{error: {code, message, status}}`.

const ROUTE = /\/v1(?:beta)?\/models\/([^/:]+):streamGenerateContent$/;

const bodySchema = z.looseObject({
  contents: z
    .array(z.looseObject({ parts: z.array(z.looseObject({ text: z.string().optional() })).min(1) }))
    .min(1),
  generationConfig: z.looseObject({
    maxOutputTokens: maxTokensSchema,
    thinkingConfig: z.looseObject({ includeThoughts: z.boolean().optional() }).optional(),
  }),
  sim: simFieldSchema,
});

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function writer(meta: StreamMeta): SimStreamWriter {
  let thoughts = 0;
  return sseBytes({
    contentType: SSE_CONTENT_TYPE,
    start: () => '',
    chunk(reasoning: number, answer: number, cumulative: number, isLast: boolean): string {
      thoughts += reasoning;
      const parts: Record<string, unknown>[] = [];
      if (reasoning > 0 && meta.showReasoning)
        parts.push({ text: REASONING_TOKEN.repeat(reasoning), thought: true });
      if (answer > 0) parts.push({ text: ANSWER_TOKEN.repeat(answer) });
      // Hidden thinking sends nothing; its tokens show up in the next chunk's usage.
      if (parts.length === 0 && !isLast) return '';
      const candidates = cumulative - thoughts;
      return sse({
        candidates: [
          { content: { role: 'model', parts }, index: 0, ...(isLast ? { finishReason: 'MAX_TOKENS' } : {}) },
        ],
        usageMetadata: {
          promptTokenCount: meta.promptTokens,
          candidatesTokenCount: candidates,
          totalTokenCount: meta.promptTokens + cumulative,
          ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
        },
        modelVersion: meta.model,
        responseId: `sim-${meta.index}`,
      });
    },
    end: () => '',
    error: () =>
      sse({ error: { code: 503, message: 'The model is overloaded (simulated).', status: 'UNAVAILABLE' } }),
  });
}

export const geminiProtocol: SimProtocol = {
  name: 'gemini',
  route(url) {
    const match = ROUTE.exec(url.pathname);
    if (!match) return null;
    const model = decodeURIComponent(match[1]!);
    // Without alt=sse Gemini streams one JSON array, which the simulator does not write.
    return url.searchParams.get('alt') === 'sse'
      ? { model }
      : { model, unsupported: 'the simulator streams only with ?alt=sse' };
  },
  authorized: (headers, key) => headers.get('x-goog-api-key') === key,
  parse(body, route) {
    if (route.unsupported) return { ok: false, message: route.unsupported };
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) return { ok: false, message: issuesMessage(parsed.error) };
    const b = parsed.data;
    let promptTokens = 0;
    for (const c of b.contents) for (const p of c.parts) promptTokens += countPromptWords(p.text ?? '');
    return {
      ok: true,
      request: {
        model: route.model ?? 'fluidbench-sim',
        promptTokens,
        maxTokens: b.generationConfig.maxOutputTokens,
        showReasoning: b.generationConfig.thinkingConfig?.includeThoughts === true,
        override: b.sim,
      },
    };
  },
  errorBody: (status, message) => ({
    error: {
      code: status,
      message,
      status: STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
    },
  }),
  overloadedStatus: 429,
  writer,
};

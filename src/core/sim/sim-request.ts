import { z } from 'zod';
import { countPromptWords } from '../workload/prompt-builder.ts';
import { type SimOverride, simOverrideSchema } from './sim-config.ts';

// Validation of OpenAI Chat / legacy completions request bodies, and OpenAI-shaped error bodies.
// Bodies are loose objects: clients send many fields (temperature, ignore_eos, …) the simulator
// accepts and ignores. Prompt tokens are whitespace-separated words (one token each from
// fluidbench's prompt builder).

export type Endpoint = 'chat' | 'text';

const streamOptionsSchema = z
  .looseObject({
    include_usage: z.boolean().optional().describe('Send a final `choices: []` usage chunk before [DONE].'),
    continuous_usage_stats: z.boolean().optional().describe('vLLM: cumulative usage on every chunk.'),
  })
  .nullish();

const commonFields = {
  model: z.string().min(1).describe('Model name; echoed back, any name is accepted.'),
  max_tokens: z.int().min(1).max(1_000_000).nullish().describe('Output tokens to generate (exactly).'),
  max_completion_tokens: z
    .int()
    .min(1)
    .max(1_000_000)
    .nullish()
    .describe('Preferred over max_tokens when both are given.'),
  stream: z.boolean().nullish().describe('Stream server-sent events.'),
  stream_options: streamOptionsSchema,
  n: z.literal(1).nullish().describe('Only one choice is simulated.'),
  sim: simOverrideSchema.optional(),
};

const contentPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });

const chatBodySchema = z.looseObject({
  ...commonFields,
  messages: z
    .array(
      z.looseObject({
        role: z.string(),
        content: z
          .union([z.string(), z.array(contentPartSchema)], {
            error: 'content must be a string or an array of content parts',
          })
          .nullish(),
      }),
    )
    .min(1)
    .describe('Chat messages; prompt tokens = whitespace-separated words of all contents.'),
});

const textBodySchema = z.looseObject({
  ...commonFields,
  prompt: z
    .union([z.string(), z.array(z.string()).min(1), z.array(z.int().min(0)).min(1)], {
      error: (issue) =>
        issue.input === undefined
          ? 'prompt is required'
          : 'prompt must be a string, a non-empty array of strings or a non-empty array of token ids',
    })
    .describe('Prompt text (words are tokens) or token ids.'),
});

export interface SimRequest {
  endpoint: Endpoint;
  model: string;
  promptTokens: number;
  maxTokens: number;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  override: SimOverride | undefined;
}

export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
    issues?: z.core.$ZodIssue[];
  };
}

export function openAIError(
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

function chatPromptTokens(messages: z.infer<typeof chatBodySchema>['messages']): number {
  let n = 0;
  for (const m of messages) {
    if (typeof m.content === 'string') n += countPromptWords(m.content);
    else for (const part of m.content ?? []) n += countPromptWords(part.text ?? '');
  }
  return n;
}

function textPromptTokens(prompt: z.infer<typeof textBodySchema>['prompt']): number {
  if (typeof prompt === 'string') return countPromptWords(prompt);
  let n = 0;
  for (const p of prompt) n += typeof p === 'number' ? 1 : countPromptWords(p);
  return n;
}

function invalid(issues: z.core.$ZodIssue[]): OpenAIErrorBody {
  const first = issues[0];
  const message = issues
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  return {
    error: {
      message,
      type: 'invalid_request_error',
      param: first && first.path.length > 0 ? first.path.join('.') : null,
      code: null,
      issues,
    },
  };
}

/** A validated request, or the OpenAI-style 400 body listing every issue. */
export function parseSimRequest(
  endpoint: Endpoint,
  body: unknown,
): { ok: true; request: SimRequest } | { ok: false; error: OpenAIErrorBody } {
  const schema = endpoint === 'chat' ? chatBodySchema : textBodySchema;
  const parsed = schema.safeParse(body);
  const issues: z.core.$ZodIssue[] = parsed.success ? [] : [...parsed.error.issues];
  const data = parsed.success ? parsed.data : undefined;
  const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (raw.max_tokens == null && raw.max_completion_tokens == null) {
    issues.push({
      code: 'custom',
      path: ['max_tokens'],
      message: 'max_tokens or max_completion_tokens is required (the simulator generates exactly that many)',
      input: undefined,
    });
  }
  if (raw.stream_options != null && raw.stream !== true) {
    issues.push({
      code: 'custom',
      path: ['stream_options'],
      message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      input: raw.stream_options,
    });
  }
  if (issues.length > 0 || !data) return { ok: false, error: invalid(issues) };
  const promptTokens =
    'messages' in data
      ? chatPromptTokens(data.messages as z.infer<typeof chatBodySchema>['messages'])
      : textPromptTokens((data as z.infer<typeof textBodySchema>).prompt);
  return {
    ok: true,
    request: {
      endpoint,
      model: data.model,
      promptTokens,
      maxTokens: (data.max_completion_tokens ?? data.max_tokens) as number,
      stream: data.stream === true,
      includeUsage: data.stream_options?.include_usage === true,
      continuousUsage: data.stream_options?.continuous_usage_stats === true,
      override: data.sim,
    },
  };
}

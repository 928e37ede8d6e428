import { z } from 'zod';

// Configuration of the built-in simulated OpenAI-compatible target. Each knob is defined once as a
// bare field; the instance config adds defaults, the per-request `sim` override makes it optional,
// so an override only replaces what it names.

// zod keeps a description on the instance it was set on, so wrappers (default, optional) re-state it.
function withDefault<T extends z.ZodType>(field: T, value: z.util.NoUndefined<z.output<T>>) {
  return field.default(value).describe(field.description ?? '');
}
function optional<T extends z.ZodType>(field: T) {
  return field.optional().describe(field.description ?? '');
}

/** Bounds of the knobs added for capacity tests (src/core/sim/sim-capacity.ts). */
export const TIME_SCALE = { min: 0.0001, max: 1000 } as const;
export const KNEE_SEQUENCES = { min: 1, max: 100_000 } as const;
export const KNEE_SLOWDOWN = { min: 1, max: 1000 } as const;

const rate = (what: string) => z.number().min(0).max(1).describe(what);

const knobFields = {
  prefill_us_per_token: z
    .number()
    .min(0)
    .describe('Prefill time per prompt token, microseconds (added to prefill_base_ms).'),
  prefill_base_ms: z.number().min(0).describe('Fixed prefill time per request, milliseconds.'),
  decode_ms_per_token: z
    .number()
    .min(0)
    .describe('Decode time per output token with one active sequence, milliseconds.'),
  jitter: rate(
    'Relative jitter: every prefill and decode step is scaled by a uniform factor in [1 − jitter, 1 + jitter].',
  ),
  tokens_per_chunk: z
    .int()
    .min(1)
    .describe('Output tokens per streamed chunk (the last chunk may hold fewer).'),
  reasoning_tokens: z
    .int()
    .min(0)
    .max(1_000_000)
    .describe(
      "Of each request's output tokens, how many are reasoning, generated before the answer (capped at the output length). " +
        'The Anthropic, OpenAI Responses and Gemini protocols stream them as thinking / reasoning summary / thought parts ' +
        '(Responses only with reasoning.summary, Gemini only with thinkingConfig.includeThoughts; otherwise they are hidden: ' +
        'they take decode time and count in usage); Workers AI and Bedrock stream the first this many output tokens as reasoning. ' +
        'The OpenAI chat and completions protocols send them as ordinary text.',
    ),
  time_scale: z
    .number()
    .min(TIME_SCALE.min)
    .max(TIME_SCALE.max)
    .describe(
      'Every simulated duration (prefill, decode step, stall) is multiplied by this: 0.01 runs 100× faster. QPS capacities scale by 1/time_scale, concurrency capacities do not; scale SLO durations by time_scale.',
    ),
};

const stallFields = {
  probability: rate('Probability, per token-carrying chunk, of a stall before that chunk is sent.'),
  ms: z.number().min(0).describe('Length of one stall, milliseconds.'),
};

const errorFields = {
  http_rate: rate('Per request: probability of an immediate HTTP error with a status from http_statuses.'),
  http_statuses: z
    .array(z.int().min(400).max(599))
    .min(1)
    .describe('HTTP statuses an injected HTTP error picks from, uniformly (429 adds Retry-After: 1).'),
  in_stream_rate: rate(
    'Per request (when no HTTP error fired): probability of an in-stream `data: {"error": …}` event mid-way, then end without [DONE].',
  ),
  disconnect_rate: rate(
    'Per request (when no earlier fault fired): probability of closing the stream mid-way without [DONE].',
  ),
  in_stream_type: z
    .enum(['error', 'throttling'])
    .describe(
      'Bedrock protocol: the in-stream fault is a modelStreamErrorException (error) or a throttlingException (throttling).',
    ),
};

const stallSchema = z
  .strictObject({
    probability: withDefault(stallFields.probability, 0),
    ms: withDefault(stallFields.ms, 500),
  })
  .describe('Per-chunk stalls: a pause before a token-carrying chunk.');

const errorsSchema = z
  .strictObject({
    http_rate: withDefault(errorFields.http_rate, 0),
    http_statuses: withDefault(errorFields.http_statuses, [500, 503, 429]),
    in_stream_rate: withDefault(errorFields.in_stream_rate, 0),
    disconnect_rate: withDefault(errorFields.disconnect_rate, 0),
    in_stream_type: withDefault(errorFields.in_stream_type, 'error'),
  })
  .describe('Per-request fault injection, checked in the order HTTP error, in-stream error, disconnect.');

const kneeSchema = z
  .strictObject({
    sequences: z
      .int()
      .min(KNEE_SEQUENCES.min)
      .max(KNEE_SEQUENCES.max)
      .describe('Largest number of active sequences decoded at the normal step.'),
    slowdown: z
      .number()
      .min(KNEE_SLOWDOWN.min)
      .max(KNEE_SLOWDOWN.max)
      .describe('Factor on the decode step while more than `sequences` sequences are active.'),
  })
  .describe(
    'A sharp knee: beyond `sequences` active sequences every decode step is `slowdown` times longer, so the capacity under a TBT-like SLO is exact (src/core/sim/sim-capacity.ts).',
  );

const capacitySchema = z
  .strictObject({
    max_sequences: z.int().min(1).default(64).describe('Sequences decoded at once (the batch size).'),
    queue_limit: z
      .int()
      .min(0)
      .default(256)
      .describe('Requests that may wait (FIFO) for a sequence slot; beyond it the target answers 429.'),
    batch_slowdown: z
      .number()
      .min(0)
      .default(0.01)
      .describe('Decode step = decode_ms_per_token × (1 + batch_slowdown × (active − 1)).'),
    knee: kneeSchema.optional().describe(kneeSchema.description ?? ''),
  })
  .describe('The bounded batch of a continuous-batching server.');

export const simConfigSchema = z
  .strictObject({
    prefill_us_per_token: withDefault(knobFields.prefill_us_per_token, 50),
    prefill_base_ms: withDefault(knobFields.prefill_base_ms, 20),
    decode_ms_per_token: withDefault(knobFields.decode_ms_per_token, 20),
    jitter: withDefault(knobFields.jitter, 0.1),
    tokens_per_chunk: withDefault(knobFields.tokens_per_chunk, 1),
    reasoning_tokens: withDefault(knobFields.reasoning_tokens, 0),
    time_scale: withDefault(knobFields.time_scale, 1),
    stall: stallSchema.prefault({}).describe(stallSchema.description ?? ''),
    errors: errorsSchema.prefault({}).describe(errorsSchema.description ?? ''),
    capacity: capacitySchema.prefault({}).describe(capacitySchema.description ?? ''),
    api_key: z
      .string()
      .min(1)
      .optional()
      .describe('When set, every request must carry `Authorization: Bearer <api_key>`, else 401.'),
    seed: z.int().default(1).describe('Seed of the per-request random choices (faults, jitter, stalls).'),
  })
  .describe('Simulated OpenAI-compatible target (vLLM-like streaming with a bounded batch).');

export type SimConfig = z.infer<typeof simConfigSchema>;
export type SimConfigInput = z.input<typeof simConfigSchema>;

/** The per-request `sim` body field: any non-capacity knob, merged over the instance config. */
export const simOverrideSchema = z
  .strictObject({
    prefill_us_per_token: optional(knobFields.prefill_us_per_token),
    prefill_base_ms: optional(knobFields.prefill_base_ms),
    decode_ms_per_token: optional(knobFields.decode_ms_per_token),
    jitter: optional(knobFields.jitter),
    tokens_per_chunk: optional(knobFields.tokens_per_chunk),
    reasoning_tokens: optional(knobFields.reasoning_tokens),
    emit_times: z
      .boolean()
      .optional()
      .describe(
        'Write the simulator\'s clock (epoch ms) when it sends each chunk into the text of its tokens, as " @<ms>" per token, so a client can compute its own timing error (the instrument check).',
      ),
    stall: z
      .strictObject({ probability: optional(stallFields.probability), ms: optional(stallFields.ms) })
      .optional()
      .describe(stallSchema.description ?? ''),
    errors: z
      .strictObject({
        http_rate: optional(errorFields.http_rate),
        http_statuses: optional(errorFields.http_statuses),
        in_stream_rate: optional(errorFields.in_stream_rate),
        disconnect_rate: optional(errorFields.disconnect_rate),
        in_stream_type: optional(errorFields.in_stream_type),
      })
      .optional()
      .describe(errorsSchema.description ?? ''),
  })
  .describe('Per-request override of the simulation knobs (not capacity, api_key or seed).');

export type SimOverride = z.infer<typeof simOverrideSchema>;

/** The knobs one request runs with: the instance config with the request's override merged in (time_scale is instance-only). */
export type SimKnobs = Omit<SimConfig, 'capacity' | 'api_key' | 'seed'>;

/** Validates an instance config, filling defaults. Throws one Error listing every issue. */
export function parseSimConfig(input: unknown): SimConfig {
  const parsed = simConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new Error(`invalid simulator config:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function mergeSimKnobs(config: SimConfig, override: SimOverride | undefined): SimKnobs {
  const { capacity: _capacity, api_key: _apiKey, seed: _seed, ...base } = config;
  if (!override) return base;
  const { stall, errors, emit_times: _emitTimes, ...flat } = override;
  return {
    ...base,
    ...defined(flat),
    stall: { ...base.stall, ...defined(stall ?? {}) },
    errors: { ...base.errors, ...defined(errors ?? {}) },
  };
}

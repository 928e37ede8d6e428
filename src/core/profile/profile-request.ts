import { z } from 'zod';
import { MAX_NAME_CHARS, MAX_OUTPUT_TOKENS, MAX_PROMPT_TOKENS, SEED } from '../run/config-bounds.ts';
import { LOCATION_HINTS, type RunConfig, runConfigSchema } from '../run/run-config.ts';
import { targetSchema } from '../stream/target-config.ts';

// A prefill-profile request (`POST /v1/profiles`, `fluidbench profile`) and the ordinary run that
// measures it (docs/metrics.md#prefill-profiles): one closed loop of a single stream, cycling through
// the prompt lengths in a fixed interleaved order, a short output each, so the minimum TTFT per length
// estimates pure prefill time.

/** 256, 512, …, 16384: powers of two, the lengths etalon profiles. */
export const DEFAULT_PROFILE_LENGTHS: readonly number[] = Array.from({ length: 7 }, (_, i) => 256 * 2 ** i);
/** Distinct prompt lengths in one profile: more would make a profile run long for no better fit. */
export const MAX_PROFILE_LENGTHS = 64;
/** Samples per length: at least 3 so one slow request (network, a cold cache) cannot set the minimum. */
export const SAMPLES_PER_LENGTH = { min: 3, max: 50, default: 3 } as const;
/** Output tokens per profile request: short, so the request is mostly prefill. */
export const PROFILE_OUTPUT_TOKENS = { min: 1, max: 1_024, default: 16 } as const;
/** A whole profile run: 64 lengths × 50 samples of up to 1M tokens is bounded by this instead. */
export const PROFILE_MAX_DURATION_S = { min: 1, max: 86_400, default: 3_600 } as const;

const promptLength = z.int().min(1).max(MAX_PROMPT_TOKENS);

export const profileRequestSchema = z
  .strictObject({
    name: z.string().min(1).max(MAX_NAME_CHARS).optional().describe('optional label'),
    target: targetSchema,
    region: z
      .enum(LOCATION_HINTS)
      .default('wnam')
      .describe('location hint of the one shard that sends the requests'),
    context_tokens: z
      .int()
      .min(2)
      .max(MAX_PROMPT_TOKENS + MAX_OUTPUT_TOKENS)
      .optional()
      .describe('the model’s context size: lengths above context_tokens − output_tokens are dropped'),
    prompt_lengths: z
      .array(promptLength)
      .min(1)
      .max(MAX_PROFILE_LENGTHS)
      .default([...DEFAULT_PROFILE_LENGTHS])
      .describe('prompt lengths in tokens to profile (default 256, 512, …, 16384), each distinct'),
    samples_per_length: z
      .int()
      .min(SAMPLES_PER_LENGTH.min)
      .max(SAMPLES_PER_LENGTH.max)
      .default(SAMPLES_PER_LENGTH.default)
      .describe('requests per prompt length; the minimum TTFT of them is kept'),
    output_tokens: z
      .int()
      .min(PROFILE_OUTPUT_TOKENS.min)
      .max(PROFILE_OUTPUT_TOKENS.max)
      .default(PROFILE_OUTPUT_TOKENS.default)
      .describe('output tokens per request'),
    seed: z.int().min(SEED.min).max(SEED.max).default(1).describe('seeds the prompts'),
    max_duration_s: z
      .number()
      .min(PROFILE_MAX_DURATION_S.min)
      .max(PROFILE_MAX_DURATION_S.max)
      .default(PROFILE_MAX_DURATION_S.default)
      .describe('the profile run stops after this long (limits.max_duration_s of its run)'),
  })
  .superRefine((request, ctx) => {
    const seen = new Set<number>();
    request.prompt_lengths.forEach((length, i) => {
      if (seen.has(length))
        ctx.addIssue({ code: 'custom', path: ['prompt_lengths', i], message: `${length} is listed twice` });
      seen.add(length);
    });
    if (request.context_tokens !== undefined && profiledLengths(request).length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['context_tokens'],
        message: `no prompt length fits context_tokens ${request.context_tokens} − output_tokens ${request.output_tokens}: give a larger context or shorter prompt_lengths`,
      });
  })
  .describe('A prefill profile: minimum TTFT per prompt length at concurrency 1.');
export type ProfileRequest = z.infer<typeof profileRequestSchema>;
export type ProfileRequestInput = z.input<typeof profileRequestSchema>;

/** The lengths the run sends, ascending: those with room for the output within the context. */
export function profiledLengths(request: ProfileRequest): number[] {
  const room =
    request.context_tokens === undefined
      ? Number.POSITIVE_INFINITY
      : request.context_tokens - request.output_tokens;
  return [...new Set(request.prompt_lengths)].filter((length) => length <= room).sort((a, b) => a - b);
}

/**
 * The ordinary run that measures the profile: concurrency 1 (one request at a time, so none queues
 * behind another), lengths × samples requests, the lengths cycling in ascending order (256, 512, …,
 * 16384, 256, …) so that a drift in the target's speed during the run touches every length alike. The
 * cycle is a `trace` of lengths read sequentially. Deadlines stay at their defaults: the profile run
 * is measured for its TTFTs, not judged.
 */
export function profileRunConfig(request: ProfileRequest): RunConfig {
  const lengths = profiledLengths(request);
  const requests = lengths.length * request.samples_per_length;
  return runConfigSchema.parse({
    name: request.name ?? `prefill profile of ${request.target.model}`.slice(0, MAX_NAME_CHARS),
    target: request.target,
    workload: {
      arrivals: { type: 'concurrency', n: 1 },
      lengths: {
        type: 'trace',
        rows: lengths.map((length) => [length, request.output_tokens]),
        order: 'sequential',
      },
      requests,
      seed: request.seed,
    },
    regions: [{ location: request.region, share: 1, shards: 1 }],
    streams_per_shard: 1,
    limits: { max_concurrency: 1, max_requests: requests, max_duration_s: request.max_duration_s },
  });
}

import { z } from 'zod';
import { DURATION_S, REQUESTS, SEED } from '../run/config-bounds.ts';
import { arrivalsSchema } from './arrivals.ts';
import { lengthsSchema } from './lengths.ts';

// A workload (docs/workload.md): when requests are sent, how long they are, how many, and the seed
// that makes all of it reproducible. Keys are snake_case like the rest of the configuration.

export const TOKENIZERS = ['o200k_base', 'cl100k_base'] as const;

export const workloadSchema = z
  .strictObject({
    arrivals: arrivalsSchema,
    lengths: lengthsSchema,
    requests: z
      .int()
      .min(REQUESTS.min)
      .max(REQUESTS.max)
      .optional()
      .describe('Total requests over all shards, warm-up included. The run ends at this or duration_s.'),
    duration_s: z
      .number()
      .min(DURATION_S.min)
      .max(DURATION_S.max)
      .optional()
      .describe(
        'Open loop: no request is scheduled at or after this offset. Closed loop: sending stops then.',
      ),
    warmup: z
      .strictObject({
        requests: z
          .int()
          .min(0)
          .max(REQUESTS.max - 1)
          .default(0)
          .describe('The first this many requests (by global sequence number) are sent but marked warm-up.'),
      })
      .default({ requests: 0 }),
    seed: z
      .int()
      .min(SEED.min)
      .max(SEED.max)
      .default(1)
      .describe('Seeds arrivals, lengths and prompts; the same seed gives the same requests.'),
    tokenizer: z
      .enum(TOKENIZERS)
      .default('o200k_base')
      .describe('Vocabulary in which prompts have exactly the requested length.'),
  })
  .superRefine((workload, ctx) => {
    const arrivalsType = workload.arrivals.type;
    if (arrivalsType !== 'trace' && workload.requests === undefined && workload.duration_s === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['requests'],
        message: `${arrivalsType} arrivals need requests and/or duration_s to end the run`,
      });
    }
    if (workload.requests !== undefined && workload.warmup.requests >= workload.requests) {
      ctx.addIssue({
        code: 'custom',
        path: ['warmup', 'requests'],
        message: `warmup.requests (${workload.warmup.requests}) must be less than requests (${workload.requests})`,
      });
    }
  })
  .describe('A seeded, reproducible workload (docs/workload.md).');

export type Workload = z.infer<typeof workloadSchema>;
export type WorkloadInput = z.input<typeof workloadSchema>;

/** Validates a workload, filling defaults. Throws one Error listing every issue. */
export function parseWorkload(input: unknown): Workload {
  const parsed = workloadSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`invalid workload:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

import { z } from 'zod';

/** Typed request outcomes (docs/metrics.md#outcomes-and-error-rate): a failed request is data. */
export const OUTCOMES = [
  'ok',
  'http_error',
  'rate_limited',
  'timeout',
  'stream_error',
  'truncated',
  'network_error',
  'cancelled',
] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const outcomeSchema = z.enum(OUTCOMES);

export const TOKEN_COUNT_SOURCES = ['usage_stream', 'usage_final', 'tokenizer', 'events'] as const;
export const tokenCountSourceSchema = z.enum(TOKEN_COUNT_SOURCES);

/**
 * Problems with a `chunks` value: each entry must be `[ms_since_sent, tokens]` with a finite,
 * non-negative, non-decreasing offset and a non-negative integer token count. A hand-written
 * single pass: records can hold thousands of chunks and per-element schema parsing would cost
 * more than the JSON parse itself.
 */
export function chunkIssues(chunks: unknown): { path: (string | number)[]; message: string }[] {
  if (!Array.isArray(chunks)) return [{ path: [], message: 'expected an array of [ms_since_sent, tokens]' }];
  const issues: { path: (string | number)[]; message: string }[] = [];
  let prev = 0;
  for (let i = 0; i < chunks.length && issues.length < 20; i++) {
    const chunk: unknown = chunks[i];
    if (!Array.isArray(chunk) || chunk.length !== 2) {
      issues.push({ path: [i], message: 'expected [ms_since_sent, tokens]' });
      continue;
    }
    const offsetMs: unknown = chunk[0]; // indexed, not destructured: this loop is hot
    const tokens: unknown = chunk[1];
    if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs) || offsetMs < 0) {
      issues.push({
        path: [i, 0],
        message: `chunk time must be a finite number ≥ 0 ms, got ${String(offsetMs)}`,
      });
    } else if (offsetMs < prev) {
      issues.push({
        path: [i, 0],
        message: `chunk times must not decrease: ${offsetMs} ms after ${prev} ms`,
      });
    } else {
      prev = offsetMs;
    }
    if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 0) {
      issues.push({
        path: [i, 1],
        message: `chunk token count must be an integer ≥ 0, got ${String(tokens)}`,
      });
    }
  }
  return issues;
}

export const chunksSchema = z
  .custom<[offsetMs: number, tokens: number][]>()
  // `.check` rather than `.superRefine`: the same issues, but superRefine's bookkeeping tripled the
  // garbage-collection time of `analyze` on large files.
  .check((ctx) => {
    for (const issue of chunkIssues(ctx.value))
      ctx.issues.push({ code: 'custom', input: ctx.value, ...issue });
  })
  .meta({ description: 'one [ms_since_sent, tokens] entry per network read that carried output' });

/**
 * The interchange record (docs/metrics.md#the-request-record): what a shard stores, `export`
 * writes and `analyze` reads.
 */
export const requestRecordSchema = z.object({
  id: z.string().min(1),
  region: z.string().optional(),
  scheduled_at_ms: z.number().finite().optional(),
  sent_at_ms: z.number().finite(),
  headers_ms: z.number().finite().nonnegative().optional(),
  prompt_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  chunks: chunksSchema,
  token_count_source: tokenCountSourceSchema,
  outcome: outcomeSchema,
  status: z.number().int().optional(),
  error: z.string().optional(),
  // Reasoning split (docs/metrics.md#reasoning): reasoning tokens are part of output_tokens.
  reasoning_tokens: z.number().int().nonnegative().optional(),
  first_reasoning_ms: z.number().finite().nonnegative().optional(),
  first_visible_ms: z.number().finite().nonnegative().optional(),
  cached_prompt_tokens: z.number().int().nonnegative().optional(),
});
export type RequestRecord = z.infer<typeof requestRecordSchema>;

import { z } from 'zod';
import {
  MAX_OUTPUT_TOKENS,
  MAX_PROMPT_TOKENS,
  MAX_TOTAL_TOKENS,
  MAX_TRACE_ROWS,
  PREFILL_TO_DECODE_RATIO,
  TRACE_SCALE,
  ZIPF_THETA,
} from '../run/config-bounds.ts';
import type { Random } from './seeded-random.ts';

// Request lengths (docs/workload.md#request-lengths), with etalon's semantics: synthetic generators
// sample the TOTAL length and split it by prefill_to_decode_ratio r, prompt = round(total·r/(1+r)),
// output = the rest. Unlike etalon, lengths are integers from the start (etalon passes floats on)
// and zipf is the exact distribution P(k) ∝ k^-theta for every theta > 0 (etalon's YCSB
// approximation needs theta < 1).

// Bounds: src/core/run/config-bounds.ts (why each, in docs/config-bounds.md).
const promptTokens = z.int().min(1).max(MAX_PROMPT_TOKENS);
const outputTokens = z.int().min(1).max(MAX_OUTPUT_TOKENS);
const totalTokens = z.int().min(2).max(MAX_TOTAL_TOKENS);

export const fixedLengthsSchema = z
  .strictObject({
    type: z.literal('fixed'),
    prompt_tokens: promptTokens.describe('Prompt length in tokens.'),
    output_tokens: outputTokens.describe('Output length in tokens (requested with max_tokens).'),
  })
  .describe('Every request has the same lengths.');

const syntheticFields = {
  min_tokens: totalTokens.describe('Smallest total (prompt + output) length; 2 leaves one token each.'),
  max_tokens: totalTokens.describe('Largest total (prompt + output) length.'),
  prefill_to_decode_ratio: z
    .number()
    .min(PREFILL_TO_DECODE_RATIO.min)
    .max(PREFILL_TO_DECODE_RATIO.max)
    .describe('Prompt tokens per output token: prompt = round(total · r / (1 + r)).'),
};

/** Every issue of a request's lengths against the prompt and output bounds (checked after splitting or scaling). */
function lengthIssues(lengths: RequestLengths, what: string): string[] {
  const issues: string[] = [];
  if (lengths.promptTokens > MAX_PROMPT_TOKENS)
    issues.push(`${what} gives ${lengths.promptTokens} prompt tokens, above ${MAX_PROMPT_TOKENS}`);
  if (lengths.outputTokens > MAX_OUTPUT_TOKENS)
    issues.push(`${what} gives ${lengths.outputTokens} output tokens, above ${MAX_OUTPUT_TOKENS}`);
  return issues;
}

function inBounds(value: number, bound: { min: number; max: number }): boolean {
  return value >= bound.min && value <= bound.max;
}

function checkMinMax(
  value: { min_tokens: number; max_tokens: number; prefill_to_decode_ratio: number },
  ctx: z.RefinementCtx,
): void {
  if (value.min_tokens > value.max_tokens) {
    ctx.addIssue({
      code: 'custom',
      path: ['min_tokens'],
      message: `min_tokens (${value.min_tokens}) must be ≤ max_tokens (${value.max_tokens})`,
    });
  }
  // Zod runs refinements even when a field is out of bounds; those are reported already.
  if (!inBounds(value.max_tokens, { min: 2, max: MAX_TOTAL_TOKENS })) return;
  if (!inBounds(value.prefill_to_decode_ratio, PREFILL_TO_DECODE_RATIO)) return;
  // The split is monotone in the total, so the largest total has the largest prompt and output.
  for (const message of lengthIssues(
    splitTotal(value.max_tokens, value.prefill_to_decode_ratio),
    'max_tokens',
  ))
    ctx.addIssue({ code: 'custom', path: ['max_tokens'], message });
}

export const uniformLengthsSchema = z
  .strictObject({ type: z.literal('uniform'), ...syntheticFields })
  .superRefine(checkMinMax)
  .describe('Total length uniform over the integers [min_tokens, max_tokens], split by the ratio.');

export const zipfLengthsSchema = z
  .strictObject({
    type: z.literal('zipf'),
    ...syntheticFields,
    theta: z
      .number()
      .min(ZIPF_THETA.min)
      .max(ZIPF_THETA.max)
      .describe('Zipf exponent: P(min_tokens + k − 1) ∝ k^-theta; larger favours short requests more.'),
  })
  .superRefine(checkMinMax)
  .describe('Total length Zipf-distributed over [min_tokens, max_tokens] (small totals most likely).');

const scale = z.number().min(TRACE_SCALE.min).max(TRACE_SCALE.max).default(1);

export const traceLengthsSchema = z
  .strictObject({
    type: z.literal('trace'),
    rows: z
      .array(z.tuple([promptTokens, outputTokens]))
      .min(1)
      .max(MAX_TRACE_ROWS)
      .describe('[prompt_tokens, output_tokens] per row, e.g. read from an etalon trace CSV.'),
    prefill_scale: scale.describe('Multiplies each prompt length (then rounded, at least 1).'),
    decode_scale: scale.describe('Multiplies each output length (then rounded, at least 1).'),
    max_tokens: totalTokens
      .optional()
      .describe('Cap on prompt + output; longer rows are cut proportionally to exactly this total.'),
    order: z
      .enum(['sequential', 'random'])
      .default('random')
      .describe(
        'sequential: rows in file order, wrapping around; random: a fresh seeded shuffle of all rows per pass.',
      ),
  })
  .superRefine((value, ctx) => {
    // Scaling may push a row past the bounds; the first such row is enough to name. (Zod runs this
    // even when a scale is out of bounds; that is reported already.)
    if (!inBounds(value.prefill_scale, TRACE_SCALE) || !inBounds(value.decode_scale, TRACE_SCALE)) return;
    for (let i = 0; i < value.rows.length; i++) {
      const issues = lengthIssues(scaleTraceRow(value.rows[i]!, value), `row ${i} after scaling`);
      if (issues.length === 0) continue;
      for (const message of issues) ctx.addIssue({ code: 'custom', path: ['rows', i], message });
      return;
    }
  })
  .describe('Lengths replayed from a trace.');

export const lengthsSchema = z
  .discriminatedUnion('type', [
    fixedLengthsSchema,
    uniformLengthsSchema,
    zipfLengthsSchema,
    traceLengthsSchema,
  ])
  .describe('Prompt and output lengths per request (docs/workload.md#request-lengths).');

export type Lengths = z.infer<typeof lengthsSchema>;
export type TraceLengths = Extract<Lengths, { type: 'trace' }>;

export interface RequestLengths {
  promptTokens: number;
  outputTokens: number;
}

/** etalon's split of a total length; both parts at least 1 (schemas guarantee total ≥ 2). */
export function splitTotal(total: number, ratio: number): RequestLengths {
  const prompt = Math.min(total - 1, Math.max(1, Math.round((total * ratio) / (1 + ratio))));
  return { promptTokens: prompt, outputTokens: total - prompt };
}

/** A trace row after scaling and the max_tokens cut. */
export function scaleTraceRow(row: readonly [number, number], lengths: TraceLengths): RequestLengths {
  const prompt = Math.max(1, Math.round(row[0] * lengths.prefill_scale));
  const output = Math.max(1, Math.round(row[1] * lengths.decode_scale));
  const max = lengths.max_tokens;
  if (max === undefined || prompt + output <= max) return { promptTokens: prompt, outputTokens: output };
  // Cut both proportionally: the prompt takes its rounded share of max, the output the rest.
  const cutPrompt = Math.min(max - 1, Math.max(1, Math.round((prompt * max) / (prompt + output))));
  return { promptTokens: cutPrompt, outputTokens: max - cutPrompt };
}

/**
 * A sampler of request lengths. Call it with index 0, 1, 2, … in order: random generators consume
 * `random` one request at a time, so the lengths of request i depend on the draws before it.
 */
export function createLengthSampler(lengths: Lengths, random: Random): (index: number) => RequestLengths {
  let expected = 0;
  const inOrder = (index: number): void => {
    if (index !== expected)
      throw new Error(`length sampler called with index ${index}, expected ${expected}`);
    expected++;
  };
  switch (lengths.type) {
    case 'fixed': {
      const fixed = { promptTokens: lengths.prompt_tokens, outputTokens: lengths.output_tokens };
      return (index) => {
        inOrder(index);
        return { ...fixed };
      };
    }
    case 'uniform':
      return (index) => {
        inOrder(index);
        return splitTotal(
          random.int(lengths.min_tokens, lengths.max_tokens),
          lengths.prefill_to_decode_ratio,
        );
      };
    case 'zipf': {
      const zipf = createZipfSampler(lengths.max_tokens - lengths.min_tokens + 1, lengths.theta);
      return (index) => {
        inOrder(index);
        const total = lengths.min_tokens + zipf(random) - 1;
        return splitTotal(total, lengths.prefill_to_decode_ratio);
      };
    }
    case 'trace': {
      const rows = lengths.rows.map((row) => scaleTraceRow(row, lengths));
      if (lengths.order === 'sequential') {
        return (index) => {
          inOrder(index);
          return { ...rows[index % rows.length]! };
        };
      }
      // Like etalon's shuffle (without replacement), but reshuffled for every pass instead of stopping.
      const order = Uint32Array.from(rows, (_, i) => i);
      return (index) => {
        inOrder(index);
        const position = index % rows.length;
        if (position === 0) shuffle(order, random);
        return { ...rows[order[position]!]! };
      };
    }
    default: {
      const unexpected: never = lengths;
      throw new Error(`unknown lengths type: ${JSON.stringify(unexpected)}`);
    }
  }
}

/** Fisher–Yates in place. */
function shuffle(values: Uint32Array, random: Random): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    const swap = values[i]!;
    values[i] = values[j]!;
    values[j] = swap;
  }
}

/** log1p(x)/x, accurate near 0. */
function log1pOverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** expm1(x)/x, accurate near 0. */
function expm1OverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}

/**
 * Exact Zipf sampler over 1..n with P(k) ∝ k^-s, by Hörmann & Derflinger's rejection-inversion
 * (1996): O(1) memory and expected O(1) time for any n and any s > 0 (including s = 1).
 */
export function createZipfSampler(n: number, s: number): (random: Random) => number {
  if (!Number.isSafeInteger(n) || n < 1 || !(s > 0) || !Number.isFinite(s)) {
    throw new Error(`zipf needs an integer n ≥ 1 and a finite exponent > 0, got n=${n}, s=${s}`);
  }
  // H(x) = ∫ t^-s dt, written to stay accurate as s → 1 (where it tends to log x).
  const hIntegral = (x: number): number => {
    const logX = Math.log(x);
    return expm1OverX((1 - s) * logX) * logX;
  };
  const h = (x: number): number => Math.exp(-s * Math.log(x));
  const hIntegralInverse = (x: number): number => {
    const t = Math.max(-1, x * (1 - s));
    return Math.exp(log1pOverX(t) * x);
  };
  const hIntegralX1 = hIntegral(1.5) - 1;
  const hIntegralN = hIntegral(n + 0.5);
  const squeeze = 2 - hIntegralInverse(hIntegral(2.5) - h(2));
  return (random) => {
    for (;;) {
      const u = hIntegralN + random.next() * (hIntegralX1 - hIntegralN);
      const x = hIntegralInverse(u);
      const k = Math.min(n, Math.max(1, Math.floor(x + 0.5)));
      if (k - x <= squeeze || u >= hIntegral(k + 0.5) - h(k)) return k;
    }
  };
}

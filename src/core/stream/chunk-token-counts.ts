import { floorDiv } from '../metrics/units.ts';
import type { RequestRecord } from '../record/request-record.ts';

// Turns what the read loop observed into the record's `chunks` token counts, in the preference
// order of docs/streaming.md#token-counts-per-read. The measuring isolate has no tokenizer, so the
// 'tokenizer' source is never produced here.

/** What one network read yielded; only reads with token events or usage need to be listed. */
export interface ReadObservation {
  /** ms since the request was sent (the read's single timestamp). */
  offsetMs: number;
  /** Events in this read that carried a non-empty generated payload. */
  tokenEvents: number;
  /** The last cumulative `completion_tokens` reported by an event of this read. */
  completionTokens?: number;
}

export type StreamTokenCountSource = 'usage_stream' | 'usage_final' | 'events';

export interface ChunkTokenCounts {
  chunks: RequestRecord['chunks'];
  outputTokens: number;
  source: StreamTokenCountSource;
}

/**
 * Picks the best available count: continuous usage when every token-carrying read (at least two)
 * reported a cumulative count that rose there, else the last reported usage apportioned over the
 * token reads (when it came at or after the last token read and counts them), else events.
 */
export function chunkTokenCounts(reads: readonly ReadObservation[]): ChunkTokenCounts {
  let tokenReads = 0;
  let tokenReadsWithUsage = 0;
  let lastUsage: number | undefined;
  let lastUsageAt = -1;
  let lastTokenAt = -1;
  for (let i = 0; i < reads.length; i++) {
    const read = reads[i]!;
    if (read.completionTokens !== undefined) {
      lastUsage = read.completionTokens;
      lastUsageAt = i;
    }
    if (read.tokenEvents > 0) {
      tokenReads++;
      lastTokenAt = i;
      if (read.completionTokens !== undefined) tokenReadsWithUsage++;
    }
  }
  // With usage only in the final chunk, earlier token reads carry none: that is not continuous. A
  // single token read cannot tell the two apart (the results agree): it gets the weaker label.
  if (tokenReads > 1 && tokenReadsWithUsage === tokenReads) {
    const continuous = chunksFromContinuousUsage(reads);
    // A server that repeats or lags its running total would move TTFT or drop arrivals: every read
    // that carried output is a token arrival, so the per-read counts are trusted only if each rose.
    if (continuous.chunks.length === tokenReads) return continuous;
  }
  // A usage reported before the last output (e.g. 0 on a role chunk) is not the final count.
  const usable = lastUsage !== undefined && lastUsageAt >= lastTokenAt && (tokenReads === 0 || lastUsage > 0);
  if (usable) return chunksFromFinalUsage(reads, lastUsage as number);
  return chunksFromEvents(reads);
}

/**
 * Per-read differences of the cumulative count (source `usage_stream`). A read without generated
 * payload is not a token arrival: an increase seen there (a role chunk's count, an EOS counted in
 * the final usage) goes to the next token read, or to the last one when none follows.
 */
export function chunksFromContinuousUsage(reads: readonly ReadObservation[]): ChunkTokenCounts {
  const chunks: RequestRecord['chunks'] = [];
  let cumulative = 0;
  let pending = 0;
  for (const read of reads) {
    let diff = 0;
    const reported = read.completionTokens;
    // The count is cumulative: a decrease (a server bug) adds nothing rather than going negative.
    if (reported !== undefined && reported > cumulative) {
      diff = reported - cumulative;
      cumulative = reported;
    }
    if (read.tokenEvents > 0) {
      chunks.push([read.offsetMs, diff + pending]);
      pending = 0;
    } else {
      pending += diff;
    }
  }
  const last = chunks[chunks.length - 1];
  if (last && pending > 0) last[1] += pending;
  return { chunks: withoutEmpty(chunks), outputTokens: cumulative, source: 'usage_stream' };
}

/**
 * The final usage total apportioned over the token reads in proportion to their token events,
 * by largest remainder so the counts sum exactly to `total` (source `usage_final`). Each token
 * read did carry output, so each gets at least one token when `total` allows (and the first read
 * always does when total ≥ 1): apportioning must not move TTFT or drop observed arrivals.
 */
export function chunksFromFinalUsage(reads: readonly ReadObservation[], total: number): ChunkTokenCounts {
  const offsets: number[] = [];
  const weights: number[] = [];
  for (const read of reads) {
    if (read.tokenEvents > 0) {
      offsets.push(read.offsetMs);
      weights.push(read.tokenEvents);
    }
  }
  const counts = apportion(total, weights);
  const chunks: RequestRecord['chunks'] = [];
  for (let i = 0; i < counts.length; i++) chunks.push([offsets[i]!, counts[i]!]);
  return { chunks: withoutEmpty(chunks), outputTokens: total, source: 'usage_final' };
}

/** One token per token-carrying event: the flagged last resort (source `events`). */
export function chunksFromEvents(reads: readonly ReadObservation[]): ChunkTokenCounts {
  const chunks: RequestRecord['chunks'] = [];
  let outputTokens = 0;
  for (const read of reads) {
    if (read.tokenEvents > 0) {
      chunks.push([read.offsetMs, read.tokenEvents]);
      outputTokens += read.tokenEvents;
    }
  }
  return { chunks, outputTokens, source: 'events' };
}

/**
 * Splits the integer `total` over positive integer `weights` in proportion, by largest remainder
 * (earlier entries win ties), with a floor of one per entry when total ≥ entries (else one for the
 * first entry). With the floor, the rest goes in proportion to each share's excess over one, so
 * when every proportional share is ≥ 1 the result is plain proportional apportionment.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const n = weights.length;
  const counts = new Array<number>(n).fill(0);
  if (n === 0 || total <= 0) return counts;
  let weightSum = 0;
  for (const w of weights) weightSum += w;
  let rest: number;
  let restWeights: readonly number[];
  if (total >= n) {
    counts.fill(1);
    rest = total - n;
    // share_i − 1 = (total·w_i − weightSum) / weightSum: the common denominator cancels.
    restWeights = weights.map((w) => Math.max(0, total * w - weightSum));
  } else {
    counts[0] = 1;
    rest = total - 1;
    restWeights = weights;
  }
  let restWeightSum = 0;
  for (const w of restWeights) restWeightSum += w;
  if (rest === 0 || restWeightSum === 0) return counts;
  const remainders = new Array<number>(n);
  let given = 0;
  for (let i = 0; i < n; i++) {
    const share = rest * restWeights[i]!;
    const whole = floorDiv(share, restWeightSum);
    counts[i]! += whole;
    given += whole;
    remainders[i] = share - whole * restWeightSum;
  }
  let leftover = rest - given;
  if (leftover > 0) {
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => remainders[b]! - remainders[a]! || a - b);
    for (let k = 0; leftover > 0; k++, leftover--) counts[order[k]!]! += 1;
  }
  return counts;
}

function withoutEmpty(chunks: RequestRecord['chunks']): RequestRecord['chunks'] {
  return chunks.every((c) => c[1] > 0) ? chunks : chunks.filter((c) => c[1] > 0);
}

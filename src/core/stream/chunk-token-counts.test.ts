import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  apportion,
  chunksFromContinuousUsage,
  chunksFromEvents,
  chunksFromFinalUsage,
  chunkTokenCounts,
  type ReadObservation,
} from './chunk-token-counts.ts';

const sum = (xs: readonly (readonly [number, number])[]) => xs.reduce((s, c) => s + c[1], 0);

/** Reads at increasing offsets; some carry no token (role chunk, usage-only chunk, keep-alive). */
const readsArb = fc
  .array(fc.record({ gap: fc.integer({ min: 0, max: 50 }), tokenEvents: fc.nat({ max: 4 }) }), {
    maxLength: 40,
  })
  .map((rs) => {
    let at = 0;
    return rs.map((r): ReadObservation => {
      at += r.gap;
      return { offsetMs: at, tokenEvents: r.tokenEvents };
    });
  });

/** The token reads' offsets, in order: every output chunk must be one of them, in the same order. */
function isOrderedSubsetOfTokenReads(
  chunks: readonly (readonly [number, number])[],
  reads: ReadObservation[],
) {
  let j = 0;
  const tokenReads = reads.filter((r) => r.tokenEvents > 0);
  for (const [offset] of chunks) {
    while (j < tokenReads.length && tokenReads[j]!.offsetMs !== offset) j++;
    if (j === tokenReads.length) return false;
    j++;
  }
  return true;
}

describe('chunksFromFinalUsage', () => {
  it('sums exactly to the usage, keeps order, positive counts only', () => {
    fc.assert(
      fc.property(readsArb, fc.nat({ max: 500 }), (reads, total) => {
        const { chunks, outputTokens, source } = chunksFromFinalUsage(reads, total);
        const tokenReads = reads.filter((r) => r.tokenEvents > 0).length;
        expect(source).toBe('usage_final');
        expect(outputTokens).toBe(total);
        if (tokenReads > 0) expect(sum(chunks)).toBe(total);
        for (const c of chunks) expect(c[1]).toBeGreaterThan(0);
        expect(isOrderedSubsetOfTokenReads(chunks, reads)).toBe(true);
      }),
    );
  });

  it('keeps every token read (so TTFT and arrivals stay observed) when the usage allows', () => {
    fc.assert(
      fc.property(readsArb, fc.nat({ max: 500 }), (reads, total) => {
        const tokenReads = reads.filter((r) => r.tokenEvents > 0);
        const { chunks } = chunksFromFinalUsage(reads, total);
        if (total >= tokenReads.length)
          expect(chunks.map((c) => c[0])).toEqual(tokenReads.map((r) => r.offsetMs));
        if (total >= 1 && tokenReads.length > 0) expect(chunks[0]![0]).toBe(tokenReads[0]!.offsetMs);
      }),
    );
  });

  it('gives one token per event when the usage equals the events', () => {
    const reads = [
      { offsetMs: 10, tokenEvents: 1 },
      { offsetMs: 20, tokenEvents: 0 },
      { offsetMs: 30, tokenEvents: 3 },
    ];
    expect(chunksFromFinalUsage(reads, 4).chunks).toEqual([
      [10, 1],
      [30, 3],
    ]);
  });
});

describe('apportion', () => {
  const weightsArb = fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 30 });

  it('sums to the total, with at least one each when the total allows', () => {
    fc.assert(
      fc.property(weightsArb, fc.nat(1000), (w, total) => {
        const counts = apportion(total, w);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
        if (total >= w.length) for (const c of counts) expect(c).toBeGreaterThanOrEqual(1);
        if (total >= 1) expect(counts[0]).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it('is plain proportional (within one) when every share is at least one token', () => {
    fc.assert(
      fc.property(weightsArb, fc.nat(1000), (w, total) => {
        const weightSum = w.reduce((a, b) => a + b, 0);
        fc.pre(w.every((x) => total * x >= weightSum));
        const counts = apportion(total, w);
        counts.forEach((count, i) => {
          expect(Math.abs(count - (total * w[i]!) / weightSum)).toBeLessThan(1);
        });
      }),
    );
  });

  it('gives each event its token when usage equals events, and scales evenly', () => {
    expect(apportion(4, [1, 3])).toEqual([1, 3]);
    expect(apportion(8, [1, 3])).toEqual([2, 6]);
    expect(apportion(10, [1, 4])).toEqual([2, 8]);
  });
});

describe('chunksFromContinuousUsage', () => {
  it('takes per-read differences of the cumulative count', () => {
    const reads: ReadObservation[] = [
      { offsetMs: 5, tokenEvents: 0, completionTokens: 0 }, // role chunk
      { offsetMs: 10, tokenEvents: 1, completionTokens: 2 },
      { offsetMs: 20, tokenEvents: 2, completionTokens: 3 },
      { offsetMs: 30, tokenEvents: 1, completionTokens: 7 },
    ];
    expect(chunksFromContinuousUsage(reads)).toEqual({
      chunks: [
        [10, 2],
        [20, 1],
        [30, 4],
      ],
      outputTokens: 7,
      source: 'usage_stream',
    });
  });

  it('moves counts seen in payload-free reads to the next token read, or the last one', () => {
    const reads: ReadObservation[] = [
      { offsetMs: 5, tokenEvents: 0, completionTokens: 1 },
      { offsetMs: 10, tokenEvents: 1, completionTokens: 2 },
      { offsetMs: 20, tokenEvents: 1, completionTokens: 3 },
      { offsetMs: 25, tokenEvents: 0, completionTokens: 4 }, // EOS counted in the final usage
    ];
    expect(chunksFromContinuousUsage(reads).chunks).toEqual([
      [10, 2],
      [20, 2],
    ]);
  });

  it('sums to the largest cumulative count, never negative, order kept', () => {
    const arb = fc
      .tuple(readsArb, fc.array(fc.option(fc.nat({ max: 300 }), { nil: undefined }), { maxLength: 40 }))
      .map(([reads, counts]) => reads.map((r, i) => ({ ...r, completionTokens: counts[i] })));
    fc.assert(
      fc.property(arb, (reads) => {
        const { chunks, outputTokens } = chunksFromContinuousUsage(reads);
        const max = Math.max(0, ...reads.map((r) => r.completionTokens ?? 0));
        expect(outputTokens).toBe(max);
        if (reads.some((r) => r.tokenEvents > 0)) expect(sum(chunks)).toBe(max);
        for (const c of chunks) expect(c[1]).toBeGreaterThan(0);
        expect(isOrderedSubsetOfTokenReads(chunks, reads)).toBe(true);
      }),
    );
  });
});

describe('chunkTokenCounts (preference order)', () => {
  it('prefers continuous usage when every token read reports a count', () => {
    const reads: ReadObservation[] = [
      { offsetMs: 10, tokenEvents: 1, completionTokens: 3 },
      { offsetMs: 20, tokenEvents: 1, completionTokens: 4 },
    ];
    expect(chunkTokenCounts(reads).source).toBe('usage_stream');
    expect(chunkTokenCounts(reads).chunks).toEqual([
      [10, 3],
      [20, 1],
    ]);
  });

  it('uses the final usage when only the last read reports it (coalesced with the last token)', () => {
    const reads: ReadObservation[] = [
      { offsetMs: 10, tokenEvents: 1 },
      { offsetMs: 20, tokenEvents: 1, completionTokens: 6 },
    ];
    const counts = chunkTokenCounts(reads);
    expect(counts.source).toBe('usage_final');
    expect(counts.chunks).toEqual([
      [10, 3],
      [20, 3],
    ]);
  });

  it('falls back to events, flagged, without usage', () => {
    const reads: ReadObservation[] = [
      { offsetMs: 10, tokenEvents: 2 },
      { offsetMs: 15, tokenEvents: 0 },
      { offsetMs: 20, tokenEvents: 1 },
    ];
    expect(chunkTokenCounts(reads)).toEqual(chunksFromEvents(reads));
    expect(chunkTokenCounts(reads)).toMatchObject({ source: 'events', outputTokens: 3 });
  });

  it('reports usage without token reads (hidden reasoning) with no chunks', () => {
    expect(chunkTokenCounts([{ offsetMs: 9, tokenEvents: 0, completionTokens: 12 }])).toEqual({
      chunks: [],
      outputTokens: 12,
      source: 'usage_final',
    });
  });
});

describe('untrustworthy usage', () => {
  it('falls back from continuous usage when a token read does not raise the running total', () => {
    const repeated = chunkTokenCounts([
      { offsetMs: 10, tokenEvents: 1, completionTokens: 1 },
      { offsetMs: 20, tokenEvents: 1, completionTokens: 1 },
      { offsetMs: 30, tokenEvents: 1, completionTokens: 3 },
    ]);
    expect(repeated.source).toBe('usage_final');
    expect(repeated.chunks.map((c) => c[0])).toEqual([10, 20, 30]);
    expect(repeated.outputTokens).toBe(3);
    const zeros = chunkTokenCounts([
      { offsetMs: 10, tokenEvents: 1, completionTokens: 0 },
      { offsetMs: 20, tokenEvents: 1, completionTokens: 0 },
      { offsetMs: 30, tokenEvents: 1, completionTokens: 0 },
      { offsetMs: 31, tokenEvents: 0, completionTokens: 3 },
    ]);
    expect(zeros.chunks).toEqual([
      [10, 1],
      [20, 1],
      [30, 1],
    ]);
  });

  it('ignores a usage reported before the last output, counting events instead', () => {
    const early = chunkTokenCounts([
      { offsetMs: 5, tokenEvents: 0, completionTokens: 0 },
      { offsetMs: 10, tokenEvents: 1 },
      { offsetMs: 20, tokenEvents: 1 },
    ]);
    expect(early.source).toBe('events');
    expect(early.outputTokens).toBe(2);
    expect(early.chunks).toEqual([
      [10, 1],
      [20, 1],
    ]);
  });
});

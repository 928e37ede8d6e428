// Chunks → per-token inter-token times (docs/metrics.md#token-times) on random streams.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Chunk, forEachInterChunkGapUs, interTokenTimesUs } from './token-times.ts';

function interChunkGapsUs(chunks: readonly Chunk[]): number[] {
  const gaps: number[] = [];
  forEachInterChunkGapUs(chunks, (gap) => {
    gaps.push(gap);
  });
  return gaps;
}

import { msToUs } from './units.ts';

const readGapUs = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 100_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 100 }).map((ms) => ms * 1000) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 5_000_000 }) },
);

/** Non-decreasing ms offsets with 0–3 decimals (built from integer µs), 0–5 tokens a read. */
const chunksArb: fc.Arbitrary<Chunk[]> = fc
  .array(fc.tuple(readGapUs, fc.integer({ min: 0, max: 5 })), { maxLength: 300 })
  .map((reads) => {
    let atUs = 0;
    return reads.map(([gapUs, tokens]): Chunk => {
      atUs += gapUs;
      return [atUs / 1000, tokens];
    });
  });

/** Offsets with arbitrary sub-µs decimals, where `Math.round(ms * 1000)` actually rounds. */
const roughChunksArb: fc.Arbitrary<Chunk[]> = fc
  .array(
    fc.tuple(
      fc.double({ min: 0, max: 500, noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: 0, max: 5 }),
    ),
    { maxLength: 100 },
  )
  .map((reads) => {
    let at = 0;
    return reads.map(([gap, tokens]): Chunk => {
      at += gap;
      return [at, tokens];
    });
  });

const anyChunks = fc.oneof(chunksArb, roughChunksArb);

/** The rule of docs/metrics.md#token-times, written out literally as a loop. */
function referenceItt(chunks: readonly Chunk[]): number[] {
  let prev = 0;
  const itt: number[] = [];
  for (const [ms, k] of chunks) {
    if (k === 0) continue;
    const t = Math.round(ms * 1000);
    itt.push(t - prev);
    for (let j = 1; j < k; j++) itt.push(0);
    prev = t;
  }
  return itt;
}

const tokensOf = (chunks: readonly Chunk[]) => chunks.reduce((n, [, k]) => n + k, 0);

describe('interTokenTimesUs', () => {
  it('is the documented loop: one entry per token, first of a read carries the gap, the rest are 0', () => {
    fc.assert(
      fc.property(anyChunks, (chunks) => {
        const itt = interTokenTimesUs(chunks);
        expect(itt).toEqual(referenceItt(chunks));
        expect(itt).toHaveLength(tokensOf(chunks));
        for (const gap of itt) expect(Number.isInteger(gap) && gap >= 0).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('gives zeros for every token after the first of a multi-token read', () => {
    fc.assert(
      fc.property(anyChunks, (chunks) => {
        const itt = interTokenTimesUs(chunks);
        let i = 0;
        let prevUs = 0;
        for (const [ms, k] of chunks) {
          if (k === 0) continue;
          expect(itt[i]).toBe(msToUs(ms) - prevUs);
          for (let j = 1; j < k; j++) expect(itt[i + j]).toBe(0);
          i += k;
          prevUs = msToUs(ms);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('ignores reads that carried no token', () => {
    fc.assert(
      fc.property(anyChunks, (chunks) => {
        expect(interTokenTimesUs(chunks)).toEqual(interTokenTimesUs(chunks.filter(([, k]) => k > 0)));
      }),
      { numRuns: 200 },
    );
  });

  it('sums to the time of the last token-carrying read, in µs', () => {
    fc.assert(
      fc.property(anyChunks, (chunks) => {
        const carrying = chunks.filter(([, k]) => k > 0);
        const last = carrying[carrying.length - 1];
        const sum = interTokenTimesUs(chunks).reduce((s, g) => s + g, 0);
        expect(sum).toBe(last === undefined ? 0 : Math.round(last[0] * 1000));
      }),
      { numRuns: 200 },
    );
  });

  it('handles the documented cases by hand', () => {
    expect(interTokenTimesUs([])).toEqual([]);
    expect(interTokenTimesUs([[12.5, 0]])).toEqual([]);
    // A read without tokens between two token reads is not an arrival (etalon counts it: vector 11).
    expect(
      interTokenTimesUs([
        [100, 1],
        [150, 0],
        [200, 3],
        [200.0004, 1],
        [250.001, 2],
      ]),
    ).toEqual([100_000, 100_000, 0, 0, 0, 50_001, 0]);
    // ms → µs rounds to the nearest µs.
    expect(
      interTokenTimesUs([
        [0.0004, 1],
        [1.2346, 1],
      ]),
    ).toEqual([0, 1235]);
  });
});

describe('forEachInterChunkGapUs', () => {
  it('is the gaps between consecutive token-carrying reads (no zeros from multi-token reads)', () => {
    fc.assert(
      fc.property(anyChunks, (chunks) => {
        const times = chunks.filter(([, k]) => k > 0).map(([ms]) => msToUs(ms));
        const expected = times.slice(1).map((t, i) => t - times[i]!);
        expect(interChunkGapsUs(chunks)).toEqual(expected);
        // …which are exactly the non-leading entries of itt that start a read.
        const itt = interTokenTimesUs(chunks);
        const starts: number[] = [];
        let i = 0;
        for (const [, k] of chunks) {
          if (k === 0) continue;
          starts.push(itt[i]!);
          i += k;
        }
        expect(interChunkGapsUs(chunks)).toEqual(starts.slice(1));
      }),
      { numRuns: 200 },
    );
  });
});

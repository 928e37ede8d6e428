// A page of records must read back exactly (optional fields absent, key order, unicode), stay near
// the size of its parts, split deterministically under a byte cap, and refuse truncated or corrupt
// bytes with RecordPageError instead of guessing or reading out of bounds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeChunks } from './chunk-codec.ts';
import {
  decodePage,
  encodePage,
  MAX_PAGE_BYTES,
  type PageRecord,
  pageCounts,
  RecordPageError,
  takePage,
} from './record-page-codec.ts';
import { OUTCOMES, requestRecordSchema, TOKEN_COUNT_SOURCES } from './request-record.ts';

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const finite = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

// Offsets at whole-µs resolution (what the chunk codec keeps exactly); empty timelines included.
const chunksArb = fc
  .array(fc.tuple(fc.nat({ max: 200_000 }), fc.nat({ max: 5_000 })), { maxLength: 40 })
  .map((steps) => {
    let us = 0;
    return steps.map(([gap, tokens]): [number, number] => {
      us += gap;
      return [us / 1000, tokens];
    });
  });

const recordArb: fc.Arbitrary<PageRecord> = fc
  .record({
    id: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
    region: optional(fc.string({ maxLength: 8 })),
    scheduled_at_ms: optional(finite(-1e13, 1e13)),
    sent_at_ms: fc.oneof(finite(-1e13, 1e13), fc.integer({ min: 0, max: 2e12 })),
    headers_ms: optional(finite(0, 1e6)),
    prompt_tokens: fc.nat({ max: 10_000_000 }),
    output_tokens: fc.nat({ max: 10_000_000 }),
    chunks: chunksArb,
    token_count_source: fc.constantFrom(...TOKEN_COUNT_SOURCES),
    outcome: fc.constantFrom(...OUTCOMES),
    status: optional(fc.integer({ min: -1, max: 999 })),
    error: optional(fc.string({ maxLength: 80, unit: 'binary' })),
    reasoning_tokens: optional(fc.nat({ max: 100_000 })),
    first_reasoning_ms: optional(finite(0, 1e6)),
    first_visible_ms: optional(finite(0, 1e6)),
    cached_prompt_tokens: optional(fc.nat({ max: 100_000 })),
    shard: fc.nat({ max: 10_000 }),
    seq: fc.nat({ max: 10_000_000 }),
    warmup: fc.boolean(),
  })
  // Absent, not undefined: the shape a decoded record has.
  .map(
    (r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as PageRecord,
  );

/** The record with keys in the interchange order, then shard, seq and warm-up. */
function canonical(r: PageRecord): PageRecord {
  const { shard, seq, warmup, ...record } = r;
  const order = Object.keys(requestRecordSchema.shape);
  const sorted = Object.fromEntries(
    order.filter((k) => k in record).map((k) => [k, record[k as keyof typeof record]]),
  );
  return { ...(sorted as unknown as PageRecord), shard, seq, warmup };
}

const sample: PageRecord = {
  id: 'run-1-0',
  region: 'weur',
  sent_at_ms: 1_790_000_000_000.5,
  headers_ms: 120,
  prompt_tokens: 512,
  output_tokens: 3,
  chunks: [
    [180, 1],
    [200, 2],
  ],
  token_count_source: 'usage_stream',
  outcome: 'ok',
  shard: 2,
  seq: 7,
  warmup: false,
};

describe('record page codec', () => {
  it('round-trips any records exactly, key order included', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 12 }), (records) => {
        const { bytes, stored } = encodePage(records);
        expect(stored).toStrictEqual(records);
        const back = decodePage(bytes);
        expect(back).toStrictEqual(records.map(canonical));
        expect(JSON.stringify(back)).toBe(JSON.stringify(records.map(canonical)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps -0 and unicode error text', () => {
    const r = { ...sample, sent_at_ms: -0, error: 'délai dépassé 🚦 \u0000 "quoted" lone \ud800' };
    const [back] = decodePage(encodePage([r]).bytes);
    expect(Object.is(back!.sent_at_ms, -0)).toBe(true);
    expect(back!.error).toBe(r.error);
  });

  it('costs little more than the chunk timelines: the timeline stays binary', () => {
    const records = Array.from({ length: 90 }, (_, i) => ({
      ...sample,
      id: `run-1-${i}`,
      seq: i,
      output_tokens: 256,
      chunks: Array.from({ length: 256 }, (_, k): [number, number] => [180 + k * 20, 1]),
    }));
    const { bytes } = encodePage(records);
    const timelines = records.reduce((sum, r) => sum + encodeChunks(r.chunks).length, 0);
    const perRecordOverhead = (bytes.length - timelines) / records.length;
    expect(timelines / records.length).toBeLessThan(256 * 2 + 8);
    expect(perRecordOverhead).toBeLessThan(120);
  });

  it('throws RecordPageError at every truncation of a page, and on trailing or corrupt bytes', () => {
    const records = [sample, { ...sample, id: 'run-1-1', chunks: [], warmup: true, error: 'x' }];
    const { bytes } = encodePage(records);
    for (let end = 0; end < bytes.length; end++)
      expect(() => decodePage(bytes.slice(0, end)), `cut at ${end}`).toThrow(RecordPageError);
    expect(() => decodePage(Uint8Array.from([...bytes, 0]))).toThrow(RecordPageError);
    const wrongVersion = bytes.slice();
    wrongVersion[0] = 9;
    expect(() => decodePage(wrongVersion)).toThrow(RecordPageError);
  });

  it('throws RecordPageError, never anything else, on random byte corruption', () => {
    const { bytes } = encodePage([sample, { ...sample, id: 'b', status: 500, outcome: 'http_error' }]);
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const corrupt = bytes.slice();
        corrupt[at] = corrupt[at]! ^ flip;
        try {
          decodePage(corrupt);
        } catch (error) {
          expect(error).toBeInstanceOf(RecordPageError);
        }
      }),
      { numRuns: 500 },
    );
    expect(() => decodePage(Uint8Array.from([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(
      RecordPageError,
    );
  });

  it('refuses records the interchange format forbids while encoding', () => {
    expect(() => encodePage([{ ...sample, sent_at_ms: Number.NaN }])).toThrow(/finite/);
    expect(() =>
      encodePage([
        {
          ...sample,
          chunks: [
            [5, 1],
            [4, 1],
          ],
        },
      ]),
    ).toThrow(/decrease/);
  });

  it('keeps a record whose timeline exceeds a page as a failed request without it', () => {
    const chunks = Array.from({ length: 300_000 }, (_, i) => [i, 2 ** 40] as [number, number]);
    const huge = { ...sample, chunks, error: 'upstream said so' };
    const { bytes, stored } = encodePage([sample, huge]);
    expect(bytes.length).toBeLessThan(MAX_PAGE_BYTES);
    const [first, second] = decodePage(bytes);
    expect(first).toStrictEqual(canonical(sample));
    expect(second!.outcome).toBe('stream_error');
    expect(second!.chunks).toEqual([]);
    expect(second!.error).toMatch(
      /^timeline of 300000 chunks \(\d+ bytes\) exceeds the D1 row limit and was dropped; upstream said so$/,
    );
    expect(stored[1]).toStrictEqual(second);
  });

  it('splits records into pages under the byte cap, deterministically', () => {
    const records = fc.sample(recordArb, { numRuns: 200, seed: 7 });
    for (const maxBytes of [1, 200, 1_000, 10_000, MAX_PAGE_BYTES]) {
      const sizes: number[] = [];
      for (let at = 0; at < records.length; ) {
        const n = takePage(records.slice(at), maxBytes);
        expect(n).toBeGreaterThanOrEqual(1);
        expect(takePage(records.slice(at), maxBytes)).toBe(n);
        const { bytes } = encodePage(records.slice(at, at + n));
        // Only a lone record may exceed a cap smaller than itself.
        if (n > 1) expect(bytes.length).toBeLessThanOrEqual(maxBytes);
        if (at + n < records.length)
          expect(encodePage(records.slice(at, at + n + 1)).bytes.length).toBeGreaterThan(maxBytes - 6);
        sizes.push(n);
        at += n;
      }
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(records.length);
    }
    expect(takePage([], 100)).toBe(0);
    expect(takePage(records)).toBe(records.length);
  });

  it('counts records, warm-up ones, and measured ones per outcome', () => {
    const records = fc.sample(recordArb, { numRuns: 100, seed: 3 });
    const { n, warmupN, outcomes } = pageCounts(records);
    expect(n).toBe(100);
    expect(warmupN).toBe(records.filter((r) => r.warmup).length);
    for (const o of OUTCOMES)
      expect(outcomes[o] ?? 0).toBe(records.filter((r) => !r.warmup && r.outcome === o).length);
  });
});

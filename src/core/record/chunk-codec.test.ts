// The stored chunk timeline must give identical metrics after a round trip (offsets equal at µs
// resolution, the metrics' conversion), stay small, and refuse corrupt bytes instead of guessing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChunks, encodeChunks } from './chunk-codec.ts';

/** Non-decreasing chunk timelines built from non-negative gaps; `toMs` maps the running sum. */
function timeline(
  gap: fc.Arbitrary<number>,
  maxLength = 300,
  toMs = (t: number) => t,
): fc.Arbitrary<[number, number][]> {
  return fc.array(fc.tuple(gap, fc.nat({ max: 5000 })), { maxLength }).map((steps) => {
    let t = 0;
    return steps.map(([g, tokens]): [number, number] => {
      t += g;
      return [toMs(t), tokens];
    });
  });
}

const fractionalGapMs = fc.double({ min: 0, max: 5000, noNaN: true, noDefaultInfinity: true });
const wholeGapMs = fc.nat({ max: 100_000 });
const microsecondGapUs = fc.nat({ max: 10_000_000 });

describe('chunk codec round trip', () => {
  it('keeps every offset identical in µs and every token count for fractional ms offsets', () => {
    fc.assert(
      fc.property(timeline(fractionalGapMs), (chunks) => {
        const decoded = decodeChunks(encodeChunks(chunks));
        expect(decoded).toHaveLength(chunks.length);
        decoded.forEach(([ms, tokens], i) => {
          const [origMs, origTokens] = chunks[i]!;
          expect(Math.round(ms * 1000)).toBe(Math.round(origMs * 1000));
          expect(tokens).toBe(origTokens);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('returns exactly the input when offsets are whole ms or whole µs', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          timeline(wholeGapMs),
          timeline(microsecondGapUs, 300, (us) => us / 1000),
        ),
        (chunks) => {
          expect(decodeChunks(encodeChunks(chunks))).toEqual(chunks);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('handles empty timelines, zero-token reads, equal offsets and offsets of many hours', () => {
    const cases: [number, number][][] = [
      [],
      [[0, 0]],
      [
        [12.5, 0],
        [12.5, 3],
        [12.5, 0],
      ],
      [
        [1, 1],
        [36 * 3600 * 1000 + 0.001, 2], // 1.3e11 µs: far beyond 32-bit arithmetic
      ],
    ];
    for (const chunks of cases) expect(decodeChunks(encodeChunks(chunks))).toEqual(chunks);
  });

  it('decodes the same bytes given as ArrayBuffer, a Uint8Array view or an array of numbers', () => {
    const chunks: [number, number][] = [
      [3.25, 1],
      [40, 7],
      [41.001, 0],
    ];
    const bytes = encodeChunks(chunks);
    const padded = new Uint8Array(bytes.length + 6);
    padded.set(bytes, 3);
    expect(decodeChunks(bytes.slice().buffer)).toEqual(chunks);
    expect(decodeChunks(padded.subarray(3, 3 + bytes.length))).toEqual(chunks);
    expect(decodeChunks(Array.from(bytes))).toEqual(chunks);
    expect(() => decodeChunks([1, 3, 256])).toThrow(/non-byte/);
  });
});

describe('chunk codec size', () => {
  it('stores 256 whole-ms reads ~20 ms apart with 1 token each in about 2 bytes per chunk', () => {
    let t = 180;
    const chunks: [number, number][] = [];
    for (let i = 0; i < 256; i++) {
      t += 17 + (i % 7); // 17–23 ms gaps
      chunks.push([t, 1]);
    }
    const bytes = encodeChunks(chunks);
    expect(bytes.length / 256).toBeLessThanOrEqual(2.1);
    expect(decodeChunks(bytes)).toEqual(chunks);
  });

  it('stays near 4 bytes per chunk for fractional-ms (Node clock) offsets', () => {
    let t = 180.123;
    const chunks: [number, number][] = [];
    for (let i = 0; i < 256; i++) {
      t += 19.5 + (i % 5) * 0.173;
      chunks.push([t, 1]);
    }
    expect(encodeChunks(chunks).length / 256).toBeLessThanOrEqual(4.1);
  });
});

describe('chunk codec rejects bad input', () => {
  it('throws on every truncation of a valid encoding', () => {
    fc.assert(
      fc.property(timeline(fractionalGapMs, 40), (chunks) => {
        const bytes = encodeChunks(chunks);
        for (let n = 0; n < bytes.length; n++) expect(() => decodeChunks(bytes.subarray(0, n))).toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it('throws on an unknown version, a bad unit, trailing bytes and over-long varints', () => {
    const valid = encodeChunks([
      [1, 1],
      [2, 2],
    ]);
    const withByte = (i: number, b: number) => {
      const copy = valid.slice();
      copy[i] = b;
      return copy;
    };
    expect(() => decodeChunks(withByte(0, 2))).toThrow(/version/);
    expect(() => decodeChunks(withByte(0, 0))).toThrow(/version/);
    expect(() => decodeChunks(withByte(1, 4))).toThrow(/unit/);
    expect(() => decodeChunks(Uint8Array.from([...valid, 0]))).toThrow(/trailing/);
    // One chunk whose offset varint never ends within 8 bytes.
    expect(() => decodeChunks(Uint8Array.from([1, 0, 1, ...new Array(9).fill(0xff), 0]))).toThrow(/varint/);
    // A count far larger than the bytes could hold.
    expect(() => decodeChunks(Uint8Array.from([1, 0, 0xff, 0xff, 0x03, 0, 0]))).toThrow(/truncated/);
  });

  it('refuses to encode offsets or token counts the interchange format forbids', () => {
    expect(() => encodeChunks([[-1, 1]])).toThrow(/offset/);
    expect(() => encodeChunks([[Number.NaN, 1]])).toThrow(/offset/);
    expect(() =>
      encodeChunks([
        [5, 1],
        [4, 1],
      ]),
    ).toThrow(/decrease/);
    expect(() => encodeChunks([[1, 1.5]])).toThrow(/token/);
    expect(() => encodeChunks([[1, -1]])).toThrow(/token/);
  });
});

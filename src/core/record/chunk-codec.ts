// Compact binary form of a record's `chunks` timeline, stored inside a record page's BLOB
// (record-page-codec.ts; docs/streaming.md#d1: many records a D1 row, never a row per token).
//
// Format version 1, all integers unsigned LEB128 varints:
//   [version = 1] [unit exponent e ∈ 0..3] [count] then `count` pairs [Δoffset, tokens]
// Offsets are integer microseconds Math.round(ms * 1000) (the metrics' conversion,
// docs/metrics.md#units, so metrics are unchanged by a round trip), divided by the unit 10^e µs:
// the largest power of ten ≤ 1 ms that divides every offset. workerd's clock has whole-ms
// resolution, so its offsets use 1 ms units and a 20 ms gap fits one byte instead of three. Δoffset
// is relative to the previous chunk (the first to 0); offsets never decrease, so deltas are ≥ 0.
// The count makes any truncation detectable.

import { type ByteReader, readVarint, type VarintProblem, writeVarint } from './varint.ts';

const FORMAT_VERSION = 1;
const MAX_UNIT_EXPONENT = 3;
/** ceil(53 / 7): a safe integer never needs more varint bytes. */
const MAX_VARINT_BYTES = 8;

/** Encodes `[ms_since_sent, tokens]` chunks; throws on values the interchange format forbids. */
export function encodeChunks(chunks: readonly (readonly [number, number])[]): Uint8Array {
  const offsetsUs = new Array<number>(chunks.length);
  let prevUs = 0;
  let exponent = MAX_UNIT_EXPONENT;
  for (let i = 0; i < chunks.length; i++) {
    const [ms, tokens] = chunks[i]!;
    const us = Math.round(ms * 1000);
    if (!Number.isSafeInteger(us) || us < 0)
      throw new Error(`chunk ${i}: offset must be a finite number ≥ 0 ms, got ${ms}`);
    if (us < prevUs) throw new Error(`chunk ${i}: offsets must not decrease (${ms} ms after ${prevUs} µs)`);
    if (!Number.isSafeInteger(tokens) || tokens < 0)
      throw new Error(`chunk ${i}: token count must be an integer ≥ 0, got ${tokens}`);
    while (exponent > 0 && us % 10 ** exponent !== 0) exponent--;
    offsetsUs[i] = us;
    prevUs = us;
  }
  const unit = 10 ** exponent;
  const out = new Uint8Array(2 + MAX_VARINT_BYTES * (1 + 2 * chunks.length));
  out[0] = FORMAT_VERSION;
  out[1] = exponent;
  let pos = writeVarint(out, 2, chunks.length);
  let prevUnits = 0;
  for (let i = 0; i < chunks.length; i++) {
    const units = offsetsUs[i]! / unit; // exact: unit divides every offset
    pos = writeVarint(out, pos, units - prevUnits);
    pos = writeVarint(out, pos, chunks[i]![1]);
    prevUnits = units;
  }
  return out.slice(0, pos);
}

/**
 * Decodes what `encodeChunks` wrote; offsets come back as `µs / 1000` ms. Accepts the shapes a BLOB
 * can arrive in (Uint8Array, ArrayBuffer, array of bytes) and throws on corrupt input.
 */
export function decodeChunks(input: Uint8Array | ArrayBuffer | readonly number[]): [number, number][] {
  const bytes = toBytes(input);
  if (bytes.length < 2) throw new Error('chunk data truncated: missing header');
  if (bytes[0] !== FORMAT_VERSION) throw new Error(`unknown chunk format version ${bytes[0]}`);
  const exponent = bytes[1]!;
  if (exponent > MAX_UNIT_EXPONENT) throw new Error(`invalid chunk unit exponent ${exponent}`);
  const unit = 10 ** exponent;
  const reader = { bytes, pos: 2 };
  const count = readChunkVarint(reader);
  // Each pair takes at least two bytes: reject an impossible count before allocating for it.
  if (count > (bytes.length - reader.pos) / 2)
    throw new Error(`chunk data truncated: ${count} chunks cannot fit in ${bytes.length} bytes`);
  const chunks = new Array<[number, number]>(count);
  let units = 0;
  for (let i = 0; i < count; i++) {
    units += readChunkVarint(reader);
    const us = units * unit;
    if (!Number.isSafeInteger(us)) throw new Error(`chunk ${i}: offset overflows`);
    chunks[i] = [us / 1000, readChunkVarint(reader)];
  }
  if (reader.pos !== bytes.length)
    throw new Error(`chunk data has ${bytes.length - reader.pos} unexpected trailing bytes`);
  return chunks;
}

function toBytes(input: Uint8Array | ArrayBuffer | readonly number[]): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (Array.isArray(input)) {
    for (const b of input)
      if (!Number.isInteger(b) || b < 0 || b > 255) throw new Error(`chunk data holds a non-byte value ${b}`);
    return Uint8Array.from(input);
  }
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  // Not `instanceof ArrayBuffer`: a buffer from another realm would fail that test.
  if (Object.prototype.toString.call(input) === '[object ArrayBuffer]')
    return new Uint8Array(input as ArrayBuffer);
  throw new Error('chunk data must be bytes');
}

function readChunkVarint(reader: ByteReader): number {
  return readVarint(reader, MAX_VARINT_BYTES, (problem) => {
    throw new Error(CHUNK_VARINT_PROBLEMS[problem]);
  });
}

const CHUNK_VARINT_PROBLEMS: Record<VarintProblem, string> = {
  truncated: 'chunk data truncated inside a varint',
  too_long: `chunk varint longer than ${MAX_VARINT_BYTES} bytes`,
  unsafe: 'chunk varint exceeds the safe integer range',
};

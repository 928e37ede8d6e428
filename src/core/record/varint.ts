// Unsigned LEB128 varints, shared by the chunk codec and the record-page codec. Arithmetic rather
// than bit operations: chunk offsets in µs exceed 32 bits after about 36 minutes.

export interface ByteReader {
  bytes: Uint8Array;
  pos: number;
}

/** Why a varint could not be read (the callers turn it into their own error). */
export type VarintProblem = 'truncated' | 'too_long' | 'unsafe';

/** Writes `value` (a non-negative safe integer) at `pos`; returns the position after it. */
export function writeVarint(out: Uint8Array, pos: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

/** Reads a varint of at most `maxBytes`; never reads past the end. */
export function readVarint(
  reader: ByteReader,
  maxBytes: number,
  fail: (problem: VarintProblem) => never,
): number {
  let value = 0;
  let scale = 1;
  for (let n = 0; n < maxBytes; n++) {
    const b = reader.bytes[reader.pos++];
    if (b === undefined) return fail('truncated');
    value += (b & 0x7f) * scale;
    if (b < 0x80) return Number.isSafeInteger(value) ? value : fail('unsafe');
    scale *= 0x80;
  }
  return fail('too_long');
}

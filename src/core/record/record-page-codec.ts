// Many request records in one byte string: a "page", stored as one D1 row (docs/streaming.md#d1),
// so D1 writes a row per page rather than per request.
//
// Format version 1, lengths and counts unsigned LEB128 varints:
//   [version = 1] [count] then `count` records, each
//   [fields length] [fields: UTF-8 JSON array, positions in FIELDS] [chunks length] [chunk-codec bytes]
// The fields array drops trailing nulls; an absent optional field is null in its position. The
// timeline stays in chunk-codec's binary form (~2 bytes a chunk). The count and every length make a
// truncated or corrupt page detectable: decoding never reads past the end and throws
// RecordPageError.
import { decodeChunks, encodeChunks } from './chunk-codec.ts';
import { OUTCOMES, type RequestRecord, TOKEN_COUNT_SOURCES } from './request-record.ts';
import { type ByteReader, readVarint, type VarintProblem, writeVarint } from './varint.ts';

/** A record plus where it came from: the shard, its order there, and whether it was warm-up. */
export type PageRecord = RequestRecord & { shard: number; seq: number; warmup: boolean };

/** D1's row limit is 2 MB (2,000,000 bytes); a page's blob stays under it with room for the key. */
export const MAX_PAGE_BYTES = 2_000_000 - 64 * 1024;
/** A record alone larger than this keeps no timeline (see storableRecord). */
const MAX_RECORD_BYTES = MAX_PAGE_BYTES - 16;
/** Error text kept when a record would not fit a page even without its timeline. */
const MAX_KEPT_ERROR_CHARS = 1_000;

const FORMAT_VERSION = 1;
/** ceil(32 / 7): lengths and counts stay far below 2^32. */
const MAX_VARINT_BYTES = 5;

/** A page that cannot be decoded: truncated, corrupt or of an unknown version. */
export class RecordPageError extends Error {
  override name = 'RecordPageError';
}

// The positions of the scalar fields in a record's JSON array.
const F = {
  id: 0,
  shard: 1,
  seq: 2,
  warmup: 3,
  region: 4,
  scheduled: 5,
  sent: 6,
  headers: 7,
  prompt: 8,
  output: 9,
  source: 10,
  outcome: 11,
  status: 12,
  error: 13,
  reasoning: 14,
  firstReasoning: 15,
  firstVisible: 16,
  cached: 17,
} as const;
const FIELD_COUNT = 18;
/** The fields that must be present (the positions before the first optional one after them). */
const REQUIRED_FIELDS = F.outcome + 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The record as it can be stored: a timeline too big for a page is dropped and the request kept as
 * a failed one (`stream_error`) saying so, rather than failing every write holding it. Streams are
 * capped well below this (MAX_TOKEN_READS), so only absurd token counts per read get here.
 */
function storableRecord(r: PageRecord): { record: PageRecord; bytes: Uint8Array } {
  const bytes = encodeRecord(r);
  if (bytes.length <= MAX_RECORD_BYTES) return { record: r, bytes };
  const chunkBytes = encodeChunks(r.chunks).length;
  const note = `timeline of ${r.chunks.length} chunks (${chunkBytes} bytes) exceeds the D1 row limit and was dropped`;
  const error = `${note}${r.error ? `; ${r.error}` : ''}`.slice(0, MAX_KEPT_ERROR_CHARS);
  const record: PageRecord = { ...r, outcome: 'stream_error', error, chunks: [] };
  return { record, bytes: encodeRecord(record) };
}

/**
 * How many of `records`, from the first, go into one page of at most `maxBytes` (after
 * storableRecord): at least one when there is any, since a storable record always fits a page.
 * Deterministic: the same records always give the same split.
 */
export function takePage(records: readonly PageRecord[], maxBytes = MAX_PAGE_BYTES): number {
  let bytes = 1 + MAX_VARINT_BYTES; // version and the largest count
  for (let i = 0; i < records.length; i++) {
    bytes += storableRecord(records[i]!).bytes.length;
    if (bytes > maxBytes) return Math.max(1, i);
  }
  return records.length;
}

/**
 * One page of `records`, each made storable first (see storableRecord), and the records as stored.
 * Throws on values the interchange format forbids (decreasing chunk offsets, non-finite numbers).
 */
export function encodePage(records: readonly PageRecord[]): { bytes: Uint8Array; stored: PageRecord[] } {
  const parts = records.map(storableRecord);
  return { bytes: joinPage(parts.map((p) => p.bytes)), stored: parts.map((p) => p.record) };
}

/** What a page's row says without decoding it: records, warm-up ones, measured ones per outcome. */
export function pageCounts(records: readonly PageRecord[]): {
  n: number;
  warmupN: number;
  outcomes: Partial<Record<RequestRecord['outcome'], number>>;
} {
  let warmupN = 0;
  const outcomes: Partial<Record<RequestRecord['outcome'], number>> = {};
  for (const r of records) {
    if (r.warmup) warmupN++;
    else outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  }
  return { n: records.length, warmupN, outcomes };
}

function joinPage(parts: readonly Uint8Array[]): Uint8Array {
  const size = 1 + MAX_VARINT_BYTES + parts.reduce((sum, p) => sum + p.length, 0);
  const out = new Uint8Array(size);
  out[0] = FORMAT_VERSION;
  let pos = writeVarint(out, 1, parts.length);
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out.slice(0, pos);
}

function encodeRecord(r: PageRecord): Uint8Array {
  const fields: unknown[] = new Array(FIELD_COUNT).fill(null);
  fields[F.id] = r.id;
  fields[F.shard] = r.shard;
  fields[F.seq] = r.seq;
  fields[F.warmup] = r.warmup ? 1 : 0;
  fields[F.region] = r.region ?? null;
  fields[F.scheduled] = r.scheduled_at_ms ?? null;
  fields[F.sent] = r.sent_at_ms;
  fields[F.headers] = r.headers_ms ?? null;
  fields[F.prompt] = r.prompt_tokens;
  fields[F.output] = r.output_tokens;
  fields[F.source] = TOKEN_COUNT_SOURCES.indexOf(r.token_count_source);
  fields[F.outcome] = OUTCOMES.indexOf(r.outcome);
  fields[F.status] = r.status ?? null;
  fields[F.error] = r.error ?? null;
  fields[F.reasoning] = r.reasoning_tokens ?? null;
  fields[F.firstReasoning] = r.first_reasoning_ms ?? null;
  fields[F.firstVisible] = r.first_visible_ms ?? null;
  fields[F.cached] = r.cached_prompt_tokens ?? null;
  if ((fields[F.source] as number) < 0) throw new Error(`unknown token_count_source ${r.token_count_source}`);
  if ((fields[F.outcome] as number) < 0) throw new Error(`unknown outcome ${r.outcome}`);
  let end = FIELD_COUNT;
  while (end > REQUIRED_FIELDS && fields[end - 1] === null) end--;
  const json = encoder.encode(`[${fields.slice(0, end).map(jsonValue).join(',')}]`);
  const chunks = encodeChunks(r.chunks);
  const out = new Uint8Array(2 * MAX_VARINT_BYTES + json.length + chunks.length);
  let pos = writeVarint(out, 0, json.length);
  out.set(json, pos);
  pos = writeVarint(out, pos + json.length, chunks.length);
  out.set(chunks, pos);
  return out.slice(0, pos + chunks.length);
}

/** JSON of one field; -0 kept (JSON.stringify writes 0), non-finite numbers refused (JSON writes null). */
function jsonValue(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`record fields must be finite numbers, got ${v}`);
    if (Object.is(v, -0)) return '-0';
  }
  return JSON.stringify(v);
}

/** Decodes what encodePage wrote; throws RecordPageError on anything else. */
export function decodePage(input: Uint8Array): PageRecord[] {
  const reader = { bytes: input, pos: 0 };
  if (input.length < 2) throw new RecordPageError('record page truncated: missing header');
  if (input[0] !== FORMAT_VERSION) throw new RecordPageError(`unknown record page version ${input[0]}`);
  reader.pos = 1;
  const count = readPageVarint(reader);
  // Each record takes at least four bytes: refuse an impossible count before allocating for it.
  if (count > (input.length - reader.pos) / 4)
    throw new RecordPageError(`record page truncated: ${count} records cannot fit in ${input.length} bytes`);
  const records = new Array<PageRecord>(count);
  for (let i = 0; i < count; i++) {
    const fields = parseFields(readSlice(reader), i);
    const chunkBytes = readSlice(reader);
    let chunks: [number, number][];
    try {
      chunks = decodeChunks(chunkBytes);
    } catch (error) {
      throw new RecordPageError(`record ${i}: bad timeline: ${String(error)}`);
    }
    records[i] = toRecord(fields, chunks, i);
  }
  if (reader.pos !== input.length)
    throw new RecordPageError(`record page has ${input.length - reader.pos} unexpected trailing bytes`);
  return records;
}

function parseFields(bytes: Uint8Array, i: number): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new RecordPageError(`record ${i}: bad fields: ${String(error)}`);
  }
  if (!Array.isArray(value) || value.length < REQUIRED_FIELDS || value.length > FIELD_COUNT)
    throw new RecordPageError(`record ${i}: fields must be an array of ${REQUIRED_FIELDS}–${FIELD_COUNT}`);
  return value;
}

function toRecord(f: unknown[], chunks: [number, number][], i: number): PageRecord {
  const bad = (name: string): never => {
    throw new RecordPageError(`record ${i}: bad ${name}`);
  };
  const num = (pos: number, name: string): number =>
    typeof f[pos] === 'number' ? (f[pos] as number) : bad(name);
  const opt = <T>(pos: number, type: 'number' | 'string', name: string): T | undefined => {
    const v = f[pos];
    if (v === null || v === undefined) return undefined;
    return typeof v === type ? (v as T) : bad(name);
  };
  const id = typeof f[F.id] === 'string' ? (f[F.id] as string) : bad('id');
  const source = TOKEN_COUNT_SOURCES[num(F.source, 'token_count_source')] ?? bad('token_count_source');
  const outcome = OUTCOMES[num(F.outcome, 'outcome')] ?? bad('outcome');
  const warmup = num(F.warmup, 'warmup');
  if (warmup !== 0 && warmup !== 1) bad('warmup');
  const region = opt<string>(F.region, 'string', 'region');
  const scheduled = opt<number>(F.scheduled, 'number', 'scheduled_at_ms');
  const headers = opt<number>(F.headers, 'number', 'headers_ms');
  const status = opt<number>(F.status, 'number', 'status');
  const error = opt<string>(F.error, 'string', 'error');
  const reasoning = opt<number>(F.reasoning, 'number', 'reasoning_tokens');
  const firstReasoning = opt<number>(F.firstReasoning, 'number', 'first_reasoning_ms');
  const firstVisible = opt<number>(F.firstVisible, 'number', 'first_visible_ms');
  const cached = opt<number>(F.cached, 'number', 'cached_prompt_tokens');
  // Keys in the interchange order of docs/metrics.md; optional fields absent rather than null.
  return {
    id,
    ...(region !== undefined && { region }),
    ...(scheduled !== undefined && { scheduled_at_ms: scheduled }),
    sent_at_ms: num(F.sent, 'sent_at_ms'),
    ...(headers !== undefined && { headers_ms: headers }),
    prompt_tokens: num(F.prompt, 'prompt_tokens'),
    output_tokens: num(F.output, 'output_tokens'),
    chunks,
    token_count_source: source,
    outcome,
    ...(status !== undefined && { status }),
    ...(error !== undefined && { error }),
    ...(reasoning !== undefined && { reasoning_tokens: reasoning }),
    ...(firstReasoning !== undefined && { first_reasoning_ms: firstReasoning }),
    ...(firstVisible !== undefined && { first_visible_ms: firstVisible }),
    ...(cached !== undefined && { cached_prompt_tokens: cached }),
    shard: num(F.shard, 'shard'),
    seq: num(F.seq, 'seq'),
    warmup: warmup === 1,
  };
}

/** The next length-prefixed slice; never past the end. */
function readSlice(reader: ByteReader): Uint8Array {
  const length = readPageVarint(reader);
  if (length > reader.bytes.length - reader.pos)
    throw new RecordPageError(
      `record page truncated: ${length} bytes announced, ${reader.bytes.length - reader.pos} left`,
    );
  const slice = reader.bytes.subarray(reader.pos, reader.pos + length);
  reader.pos += length;
  return slice;
}

function readPageVarint(reader: ByteReader): number {
  return readVarint(reader, MAX_VARINT_BYTES, (problem) => {
    throw new RecordPageError(PAGE_VARINT_PROBLEMS[problem]);
  });
}

const PAGE_VARINT_PROBLEMS: Record<VarintProblem, string> = {
  truncated: 'record page truncated inside a length',
  too_long: `record page length longer than ${MAX_VARINT_BYTES} bytes`,
  unsafe: 'record page length exceeds the safe integer range',
};

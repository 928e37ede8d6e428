import type { ShardRecord } from './shard-record.ts';

// How a shard groups finished records for storage (docs/cost.md#rows-written): storage is billed
// per row written, so records are stored many to a row — a batch in the shard's SQLite, a page of
// consecutive batches in D1 — instead of one row each (which alone cost $1 per million requests
// per table). The caps keep every row far below the 2 MB row limit of both stores.

/** Records in one stored batch row. */
export const BATCH_MAX_RECORDS = 64;
/**
 * A batch row's JSON, in UTF-16 code units: half the 2 MB row limit, so even a batch of non-ASCII
 * error text (up to 3 bytes per code unit) stays under it with the JSON of its neighbours.
 */
export const BATCH_MAX_JSON_CHARS = 600_000;
/** A record's own JSON above this keeps no timeline (it could not share a row; see boundRecord). */
export const RECORD_MAX_JSON_CHARS = 500_000;
/** Records in one D1 page (consecutive batches). */
export const PAGE_MAX_RECORDS = 512;
/** A D1 page's JSON before encoding (the encoded page is smaller: timelines shrink ~5×). */
export const PAGE_MAX_JSON_CHARS = 1_000_000;

/** A batch to store: its records' JSON (an array) and how many records it holds. */
export interface PackedBatch {
  json: string;
  n: number;
}

/**
 * A record too large to share a row is kept as a failed one without its timeline, rather than
 * failing the write of every record stored with it. Streams are capped (MAX_TOKEN_READS) well
 * below this, so only absurd token counts per read get here.
 */
export function boundRecord(record: ShardRecord, json: string): string {
  if (json.length <= RECORD_MAX_JSON_CHARS) return json;
  const note = `timeline of ${record.chunks.length} chunks (${json.length} characters) exceeds the storage row limit and was dropped`;
  return JSON.stringify({
    ...record,
    chunks: [],
    outcome: 'stream_error',
    error: record.error ? `${note}; ${record.error}` : note,
  } satisfies ShardRecord);
}

/** Splits finished records into batch rows under both caps, in order; each record once. */
export function packBatches(records: readonly ShardRecord[]): PackedBatch[] {
  const batches: PackedBatch[] = [];
  let parts: string[] = [];
  let chars = 2;
  const close = (): void => {
    if (parts.length > 0) batches.push({ json: `[${parts.join(',')}]`, n: parts.length });
    parts = [];
    chars = 2;
  };
  for (const record of records) {
    const json = boundRecord(record, JSON.stringify(record));
    if (parts.length >= BATCH_MAX_RECORDS || chars + json.length + 1 > BATCH_MAX_JSON_CHARS) close();
    parts.push(json);
    chars += json.length + 1;
  }
  close();
  return batches;
}

/**
 * How many of the oldest unflushed batches form the next D1 page: whole batches, as many as fit
 * both page caps, at least one (a batch always fits: its own caps are lower). The choice depends
 * only on the sequence, so after a crash the same first batch starts a page of the same batches
 * or more (the page is rewritten with the superset; see writeRecordPage).
 */
export function batchesInPage(batches: readonly { n: number; chars: number }[]): number {
  let records = 0;
  let chars = 0;
  let taken = 0;
  for (const b of batches) {
    if (taken > 0 && (records + b.n > PAGE_MAX_RECORDS || chars + b.chars > PAGE_MAX_JSON_CHARS)) break;
    records += b.n;
    chars += b.chars;
    taken++;
  }
  return taken;
}

// Request records in D1: one row per request, written in multi-row INSERTs sized to D1's limits
// (docs/streaming.md#d1) and read back in the interchange format (docs/metrics.md#the-request-record).
import { and, asc, count, eq, getTableColumns, gt, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { decodeChunks, encodeChunks } from '../../core/record/chunk-codec.ts';
import type { RequestRecord } from '../../core/record/request-record.ts';
import { openDatabase } from './database.ts';
import { type RequestDbRow, requests } from './schema.ts';

/** A record plus where it came from: the shard, its order there, and whether it was warm-up. */
export type StoredRequest = RequestRecord & { shard: number; seq: number; warmup: boolean };

/** D1's bound-parameter limit per query (docs/streaming.md#d1). */
export const D1_MAX_BOUND_PARAMETERS = 100;
/** INSERTs per `batch()`: our own size, not a documented D1 cap (one batch is one transaction). */
export const D1_MAX_BATCH_STATEMENTS = 50;
/** D1's row limit is 2 MB; leave room for the other columns. */
export const MAX_CHUNKS_BYTES = 2_000_000 - 64 * 1024;

export const REQUEST_COLUMN_COUNT = Object.keys(getTableColumns(requests)).length;
/** Every column is bound once per row, so this many rows keep an INSERT within the parameter limit. */
export const ROWS_PER_INSERT = Math.floor(D1_MAX_BOUND_PARAMETERS / REQUEST_COLUMN_COUNT);

/**
 * Inserts the rows of one run. The first write of a request id wins (`ON CONFLICT DO NOTHING`), so a
 * retry after a crash never duplicates. Each `batch()` is one transaction; errors propagate, and a
 * retry of the whole call is safe. Returns how many rows were new.
 */
export async function insertRequests(
  d1: D1Database,
  runId: string,
  rows: readonly StoredRequest[],
  /** Adds what D1 reports written (rows, indexes included) and the rows' value bytes. */
  usage?: { rowsWritten: number; bytes: number },
): Promise<number> {
  const db = openDatabase(d1);
  // Encode everything first: a bad record fails the call before anything is written.
  const values = rows.map((row) => toRow(runId, row));
  if (usage) for (const v of values) usage.bytes += rowBytes(v);
  const statements: BatchItem<'sqlite'>[] = [];
  for (let i = 0; i < values.length; i += ROWS_PER_INSERT)
    statements.push(
      db
        .insert(requests)
        .values(values.slice(i, i + ROWS_PER_INSERT))
        .onConflictDoNothing(),
    );
  let inserted = 0;
  for (let i = 0; i < statements.length; i += D1_MAX_BATCH_STATEMENTS) {
    const [first, ...rest] = statements.slice(i, i + D1_MAX_BATCH_STATEMENTS);
    const results = (await db.batch([first!, ...rest])) as unknown as D1Result[];
    for (const result of results) {
      inserted += result.meta.changes;
      if (usage) usage.rowsWritten += result.meta.rows_written ?? result.meta.changes;
    }
  }
  return inserted;
}

/** A row's value bytes: text and blobs by length, numbers as 8 bytes (an estimate of what D1 stores). */
function rowBytes(row: Record<string, unknown>): number {
  let bytes = 0;
  for (const v of Object.values(row)) {
    if (typeof v === 'string') bytes += v.length;
    else if (v instanceof Uint8Array) bytes += v.byteLength;
    else if (typeof v === 'number' || typeof v === 'boolean') bytes += 8;
  }
  return bytes;
}

function toRow(runId: string, r: StoredRequest): typeof requests.$inferInsert {
  let chunks = encodeChunks(r.chunks);
  let outcome = r.outcome;
  let error = r.error ?? null;
  if (chunks.length > MAX_CHUNKS_BYTES) {
    // Throwing would fail every flush holding this record (and then the shard): the request is
    // kept as a failed one without its timeline instead. Streams are capped well below this
    // (MAX_TOKEN_READS), so only absurd token counts per read get here.
    error = `timeline of ${r.chunks.length} chunks (${chunks.length} bytes) exceeds the D1 row limit and was dropped${error ? `; ${error}` : ''}`;
    outcome = 'stream_error';
    chunks = encodeChunks([]);
  }
  return {
    runId,
    id: r.id,
    shard: r.shard,
    seq: r.seq,
    region: r.region ?? null,
    warmup: r.warmup,
    scheduledAtMs: r.scheduled_at_ms ?? null,
    sentAtMs: r.sent_at_ms,
    headersMs: r.headers_ms ?? null,
    promptTokens: r.prompt_tokens,
    outputTokens: r.output_tokens,
    chunks,
    tokenCountSource: r.token_count_source,
    outcome,
    status: r.status ?? null,
    error,
    reasoningTokens: r.reasoning_tokens ?? null,
    firstReasoningMs: r.first_reasoning_ms ?? null,
    firstVisibleMs: r.first_visible_ms ?? null,
    cachedPromptTokens: r.cached_prompt_tokens ?? null,
  };
}

export type ReadRequestsOptions = {
  /** Return ids strictly after this one (the `next` of the previous page). */
  after?: string;
  limit: number;
  /** Warm-up requests are excluded unless this is true. */
  includeWarmup?: boolean;
};

/** One page of a run's records ordered by id; `next` is null on the last page. */
export async function readRequests(
  d1: D1Database,
  runId: string,
  options: ReadRequestsOptions,
): Promise<{ records: RequestRecord[]; next: string | null }> {
  const { after, limit, includeWarmup = false } = options;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const conditions: SQL[] = [eq(requests.runId, runId)];
  if (after !== undefined) conditions.push(gt(requests.id, after));
  if (!includeWarmup) conditions.push(eq(requests.warmup, false));
  const rows = await openDatabase(d1)
    .select()
    .from(requests)
    .where(and(...conditions))
    .orderBy(asc(requests.id))
    .limit(limit + 1); // one extra row says whether another page exists
  const page = rows.slice(0, limit);
  return {
    records: page.map(toRecord),
    next: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}

/** The interchange record: optional fields absent rather than null, keys in the order of docs/metrics.md. */
export function toRecord(row: RequestDbRow): RequestRecord {
  return {
    id: row.id,
    ...(row.region !== null && { region: row.region }),
    ...(row.scheduledAtMs !== null && { scheduled_at_ms: row.scheduledAtMs }),
    sent_at_ms: row.sentAtMs,
    ...(row.headersMs !== null && { headers_ms: row.headersMs }),
    prompt_tokens: row.promptTokens,
    output_tokens: row.outputTokens,
    chunks: decodeChunks(row.chunks),
    token_count_source: row.tokenCountSource,
    outcome: row.outcome,
    ...(row.status !== null && { status: row.status }),
    ...(row.error !== null && { error: row.error }),
    ...(row.reasoningTokens !== null && { reasoning_tokens: row.reasoningTokens }),
    ...(row.firstReasoningMs !== null && { first_reasoning_ms: row.firstReasoningMs }),
    ...(row.firstVisibleMs !== null && { first_visible_ms: row.firstVisibleMs }),
    ...(row.cachedPromptTokens !== null && { cached_prompt_tokens: row.cachedPromptTokens }),
  };
}

/**
 * Row counts of a run. `total` counts every row, `warmup` the warm-up ones, and `byOutcome` the
 * measured (non-warm-up) rows per outcome that occurs, so Σ byOutcome + warmup = total.
 */
export async function countRequests(
  d1: D1Database,
  runId: string,
): Promise<{ total: number; warmup: number; byOutcome: Record<string, number> }> {
  const groups = await openDatabase(d1)
    .select({ warmup: requests.warmup, outcome: requests.outcome, n: count() })
    .from(requests)
    .where(eq(requests.runId, runId))
    .groupBy(requests.warmup, requests.outcome);
  let total = 0;
  let warmup = 0;
  const byOutcome: Record<string, number> = {};
  for (const g of groups) {
    total += g.n;
    if (g.warmup) warmup += g.n;
    else byOutcome[g.outcome] = (byOutcome[g.outcome] ?? 0) + g.n;
  }
  return { total, warmup, byOutcome };
}

/** TEMPORARY (replaced by the pages branch): one page written as rows. */
export async function writeRecordPage(
  d1: D1Database,
  runId: string,
  _key: { shard: number; page: number },
  rows: readonly StoredRequest[],
  usage?: { rowsWritten: number; bytes: number },
): Promise<void> {
  await insertRequests(d1, runId, rows, usage);
}

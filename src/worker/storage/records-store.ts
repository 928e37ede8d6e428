// Request records in D1, many to a row: a shard's records go in pages (`request_pages`, one
// record-page-codec blob per row), so D1 writes a row per page rather than per request
// (docs/streaming.md#d1). Runs stored before pages stay in `requests` (legacy-requests.ts) and read
// first; records come back in the interchange format (docs/metrics.md#the-request-record).
import { sql } from 'drizzle-orm';
import {
  FIRST_PAGE_POSITION,
  formatPageCursor,
  parseRecordCursor,
  type RecordCursor,
} from '../../core/record/record-cursor.ts';
import {
  encodePage,
  MAX_PAGE_BYTES,
  type PageRecord,
  pageCounts,
} from '../../core/record/record-page-codec.ts';
import type { RequestRecord } from '../../core/record/request-record.ts';
import { openDatabase } from './database.ts';
import { countLegacy, legacyAfter, nthLegacyId, readLegacy } from './legacy-requests.ts';
import { countPages, readPages, skipPages } from './record-pages-read.ts';
import { requestPages } from './schema.ts';

/** A record plus where it came from: the shard, its order there, and whether it was warm-up. */
export type StoredRequest = PageRecord;

/** An `after` that is no cursor of this run (an id of a run stored in pages, say). */
export class RecordCursorError extends Error {
  override name = 'RecordCursorError';
}

/**
 * Writes one page of a shard's records under `key` (the shard, and the shard's first batch number
 * in the page). Idempotent: a page already stored under the key is replaced only by one with more
 * records (a retry after a crash that gathered the same records and more); the same or fewer
 * change nothing. One statement with 7 bound parameters. A page over MAX_PAGE_BYTES is refused
 * (the shard's unflushedPage keeps pages under it, with `takePage`). Returns whether the row was written.
 */
export async function writeRecordPage(
  d1: D1Database,
  runId: string,
  key: { shard: number; page: number },
  records: readonly StoredRequest[],
  /** Adds what D1 reports written (rows, indexes included) and the row's value bytes. */
  usage?: { rowsWritten: number; bytes: number },
): Promise<boolean> {
  const { shard, page } = key;
  for (const [name, v] of [
    ['shard', shard],
    ['page', page],
  ] as const)
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`page ${name} must be an integer ≥ 0, got ${v}`);
  if (records.length === 0) throw new RangeError('a record page needs at least one record');
  const other = records.find((r) => r.shard !== shard);
  if (other) throw new RangeError(`record ${other.id} is of shard ${other.shard}, not ${shard}`);
  const { bytes, stored } = encodePage(records);
  if (bytes.length > MAX_PAGE_BYTES)
    throw new RangeError(
      `page of ${records.length} records is ${bytes.length} bytes, over ${MAX_PAGE_BYTES}`,
    );
  const { n, warmupN, outcomes } = pageCounts(stored);
  const outcomesJson = JSON.stringify(outcomes);
  const result = (await openDatabase(d1)
    .insert(requestPages)
    .values({ runId, shard, page, n, warmupN, outcomes: outcomesJson, records: bytes })
    .onConflictDoUpdate({
      target: [requestPages.runId, requestPages.shard, requestPages.page],
      set: {
        n: sql`excluded.n`,
        warmupN: sql`excluded.warmup_n`,
        outcomes: sql`excluded.outcomes`,
        records: sql`excluded.records`,
      },
      setWhere: sql`excluded.n > request_pages.n`,
    })) as unknown as D1Result;
  if (usage) {
    usage.rowsWritten += result.meta.rows_written ?? result.meta.changes;
    usage.bytes += bytes.byteLength + runId.length + outcomesJson.length + 4 * 8;
  }
  return result.meta.changes > 0;
}

export type ReadRequestsOptions = {
  /** Where to start: the `next` of the previous read (an opaque cursor, record-cursor.ts). */
  after?: string;
  limit: number;
  /** Warm-up requests are excluded unless this is true. */
  includeWarmup?: boolean;
  /** Stop before this cursor (the `until` of skipRequests): what lies after it is not read. */
  until?: string;
};

/** Up to `limit` records in the run's order; `next` is null when no record follows. */
export async function readRequests(
  d1: D1Database,
  runId: string,
  options: ReadRequestsOptions,
): Promise<{ records: RequestRecord[]; next: string | null }> {
  const { limit, includeWarmup = false } = options;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const from = options.after === undefined ? undefined : parseRecordCursor(options.after);
  const until = options.until === undefined ? undefined : parseRecordCursor(options.until);
  const records: RequestRecord[] = [];
  // A bound among the older rows ends before any page.
  if (from?.kind === 'page' && until?.kind === 'legacy') return { records, next: null };
  if (from?.kind !== 'page') {
    const after = from?.id;
    const legacyUntil = until?.kind === 'legacy' ? until.id : undefined;
    const rows = await readLegacy(d1, runId, { after, limit: limit + 1, includeWarmup, until: legacyUntil });
    if (rows.length > limit) return { records: rows.slice(0, limit), next: rows[limit - 1]!.id };
    if (after !== undefined && rows.length === 0) await checkLegacyCursor(d1, runId, after);
    records.push(...rows);
    if (until?.kind === 'legacy') return { records, next: null };
  }
  const page = await readPages(d1, runId, {
    from: from?.kind === 'page' ? from : FIRST_PAGE_POSITION,
    limit: limit - records.length,
    includeWarmup,
    until: until?.kind === 'page' ? until : undefined,
  });
  records.push(...page.records);
  return { records, next: page.next && formatPageCursor(page.next) };
}

/** An id cursor only means something for a run with rows in the older table. */
async function checkLegacyCursor(d1: D1Database, runId: string, after: string): Promise<void> {
  if (!(await legacyAfter(d1, runId, undefined, true)))
    throw new RecordCursorError(`${JSON.stringify(after.slice(0, 80))} is not a cursor of run ${runId}`);
}

/**
 * Where a reader is after `count` more records from `after` (`until`, for readRequests' bound and
 * the next read's `after`), and whether any record follows it; null when fewer than `count` follow.
 * Reads the pages' counts, not their records, except where `after` or the count falls mid-page.
 */
export async function skipRequests(
  d1: D1Database,
  runId: string,
  options: { after?: string; count: number; includeWarmup?: boolean },
): Promise<{ until: string; more: boolean } | null> {
  const { count, includeWarmup = false } = options;
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`count must be a positive integer, got ${count}`);
  const from: RecordCursor | undefined =
    options.after === undefined ? undefined : parseRecordCursor(options.after);
  let left = count;
  if (from?.kind !== 'page') {
    const after = from?.id;
    const nth = await nthLegacyId(d1, runId, { after, n: count, includeWarmup });
    if ('id' in nth) {
      const more =
        (await legacyAfter(d1, runId, nth.id, includeWarmup)) ||
        (await readPages(d1, runId, { from: FIRST_PAGE_POSITION, limit: 1, includeWarmup })).records.length >
          0;
      return { until: nth.id, more };
    }
    if (after !== undefined && nth.fewer === 0) await checkLegacyCursor(d1, runId, after);
    left -= nth.fewer;
  }
  const skipped = await skipPages(d1, runId, {
    from: from?.kind === 'page' ? from : FIRST_PAGE_POSITION,
    count: left,
    includeWarmup,
  });
  return 'at' in skipped ? { until: formatPageCursor(skipped.at), more: skipped.more } : null;
}

/**
 * Record counts of a run. `total` counts every record, `warmup` the warm-up ones, and `byOutcome`
 * the measured (non-warm-up) records per outcome that occurs, so Σ byOutcome + warmup = total.
 * From the pages' counts and the older table's rows, without decoding anything.
 */
export async function countRequests(
  d1: D1Database,
  runId: string,
): Promise<{ total: number; warmup: number; byOutcome: Record<string, number> }> {
  const [groups, pages] = await Promise.all([countLegacy(d1, runId), countPages(d1, runId)]);
  let { total, warmup } = pages;
  const byOutcome = { ...pages.byOutcome };
  for (const g of groups) {
    total += g.n;
    if (g.warmup) warmup += g.n;
    else byOutcome[g.outcome] = (byOutcome[g.outcome] ?? 0) + g.n;
  }
  return { total, warmup, byOutcome };
}

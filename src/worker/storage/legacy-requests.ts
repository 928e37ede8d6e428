// The `requests` table of runs stored before pages (one row per request): read and counted so
// those runs still export and report, never written. Its records come first in a run's order, by id
// (records-store.ts).
import { and, asc, count, eq, gt, type SQL, sql } from 'drizzle-orm';
import { decodeChunks } from '../../core/record/chunk-codec.ts';
import type { RequestRecord } from '../../core/record/request-record.ts';
import { openDatabase } from './database.ts';
import { type RequestDbRow, requests } from './schema.ts';

function conditions(runId: string, after: string | undefined, includeWarmup: boolean): SQL[] {
  const where: SQL[] = [eq(requests.runId, runId)];
  if (after !== undefined) where.push(gt(requests.id, after));
  if (!includeWarmup) where.push(eq(requests.warmup, false));
  return where;
}

/** Up to `limit` records with ids after `after` (and at most `until`), by id. */
export async function readLegacy(
  d1: D1Database,
  runId: string,
  o: { after: string | undefined; limit: number; includeWarmup: boolean; until?: string | undefined },
): Promise<RequestRecord[]> {
  const where = conditions(runId, o.after, o.includeWarmup);
  if (o.until !== undefined) where.push(sql`${requests.id} <= ${o.until}`);
  const rows = await openDatabase(d1)
    .select()
    .from(requests)
    .where(and(...where))
    .orderBy(asc(requests.id))
    .limit(o.limit);
  return rows.map(toRecord);
}

/** The id of the `n`-th record (1-based) after `after`, or how many there are when fewer. */
export async function nthLegacyId(
  d1: D1Database,
  runId: string,
  o: { after: string | undefined; n: number; includeWarmup: boolean },
): Promise<{ id: string } | { fewer: number }> {
  const db = openDatabase(d1);
  const where = and(...conditions(runId, o.after, o.includeWarmup));
  const [row] = await db
    .select({ id: requests.id })
    .from(requests)
    .where(where)
    .orderBy(asc(requests.id))
    .limit(1)
    .offset(o.n - 1);
  if (row) return { id: row.id };
  const [total] = await db.select({ n: count() }).from(requests).where(where);
  return { fewer: total?.n ?? 0 };
}

/** Whether a record exists after `after`. */
export async function legacyAfter(
  d1: D1Database,
  runId: string,
  after: string | undefined,
  includeWarmup: boolean,
): Promise<boolean> {
  const rows = await openDatabase(d1)
    .select({ id: requests.id })
    .from(requests)
    .where(and(...conditions(runId, after, includeWarmup)))
    .limit(1);
  return rows.length > 0;
}

/** Counts per (warm-up, outcome) of the run's rows. */
export function countLegacy(d1: D1Database, runId: string) {
  return openDatabase(d1)
    .select({ warmup: requests.warmup, outcome: requests.outcome, n: count() })
    .from(requests)
    .where(eq(requests.runId, runId))
    .groupBy(requests.warmup, requests.outcome);
}

/** The interchange record: optional fields absent rather than null, keys in the order of docs/metrics.md. */
function toRecord(row: RequestDbRow): RequestRecord {
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

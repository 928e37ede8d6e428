// The history time series in D1 (docs/history.md): idempotent inserts of a run's headline points,
// and a filtered, bounded read of the newest ones.
import { and, desc, eq, gte, isNull, lte, type SQL } from 'drizzle-orm';
import type { HeadlineMetric } from '../../core/history/headline-metrics.ts';
import { type Database, openDatabase } from './database.ts';
import { type HistoryRow, history } from './schema.ts';

/** 12 columns: ⌊100 / 12⌋ rows fit one INSERT under D1's 100 bound parameters. */
const ROWS_PER_INSERT = 8;

/** Inserts the points; a point already stored (same run, region, metric) is left as it is. */
export async function insertHistory(d1: D1Database, rows: readonly HistoryRow[]): Promise<void> {
  if (rows.length === 0) return;
  const db = openDatabase(d1);
  const statements = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    statements.push(
      db
        .insert(history)
        .values(rows.slice(i, i + ROWS_PER_INSERT))
        .onConflictDoNothing(),
    );
  }
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

export interface HistoryFilter {
  /** null: only points of runs no schedule started. */
  scheduleId?: string | null | undefined;
  api?: string | undefined;
  host?: string | undefined;
  model?: string | undefined;
  region?: string | undefined;
  metric?: HeadlineMetric | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
  /** At most this many points (the newest), the caller bounds it. */
  limit: number;
}

/** The query for the newest `limit` points matching every given filter, newest first. */
function historyQuery(db: Database, filter: HistoryFilter) {
  const where: SQL[] = [];
  if (filter.scheduleId === null) where.push(isNull(history.scheduleId));
  else if (filter.scheduleId !== undefined) where.push(eq(history.scheduleId, filter.scheduleId));
  if (filter.api !== undefined) where.push(eq(history.api, filter.api));
  if (filter.host !== undefined) where.push(eq(history.host, filter.host));
  if (filter.model !== undefined) where.push(eq(history.model, filter.model));
  if (filter.region !== undefined) where.push(eq(history.region, filter.region));
  if (filter.metric !== undefined) where.push(eq(history.metric, filter.metric));
  if (filter.fromMs !== undefined) where.push(gte(history.atMs, filter.fromMs));
  if (filter.toMs !== undefined) where.push(lte(history.atMs, filter.toMs));
  return db
    .select()
    .from(history)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(history.atMs), desc(history.runId))
    .limit(filter.limit);
}

/** The newest `limit` points matching every given filter, oldest first. */
export async function queryHistory(d1: D1Database, filter: HistoryFilter): Promise<HistoryRow[]> {
  return (await historyQuery(openDatabase(d1), filter)).reverse();
}

/** Several queryHistory answers in one D1 round trip (one batch), in the filters' order. */
export async function queryHistoryBatch(
  d1: D1Database,
  filters: readonly HistoryFilter[],
): Promise<HistoryRow[][]> {
  const db = openDatabase(d1);
  const [first, ...rest] = filters.map((f) => historyQuery(db, f));
  if (!first) return [];
  const answers: HistoryRow[][] = await db.batch([first, ...rest]);
  return answers.map((rows) => rows.reverse());
}

// Regression alerts in D1 (docs/history.md#alerts): stored once per (run, region, metric), listed
// with filters, and claimed one at a time for webhook delivery.
import { and, desc, eq, gte, lte, type SQL } from 'drizzle-orm';
import type { HeadlineMetric } from '../../core/history/headline-metrics.ts';
import { openDatabase } from './database.ts';
import { type AlertRow, alerts } from './schema.ts';

/** 17 columns: ⌊100 / 17⌋ rows fit one INSERT under D1's 100 bound parameters. */
const ROWS_PER_INSERT = 5;

/** Inserts the alerts; one already stored for the same run, region and metric is left as it is. */
export async function insertAlerts(d1: D1Database, rows: readonly AlertRow[]): Promise<void> {
  const db = openDatabase(d1);
  const statements = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
    statements.push(
      db
        .insert(alerts)
        .values(rows.slice(i, i + ROWS_PER_INSERT))
        .onConflictDoNothing(),
    );
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

export interface AlertFilter {
  runId?: string | undefined;
  model?: string | undefined;
  region?: string | undefined;
  metric?: HeadlineMetric | undefined;
  fromMs?: number | undefined;
  /** The caller bounds it. */
  limit: number;
}

/** The newest `limit` alerts matching every given filter, newest first. */
export async function queryAlerts(d1: D1Database, filter: AlertFilter): Promise<AlertRow[]> {
  const where: SQL[] = [];
  if (filter.runId !== undefined) where.push(eq(alerts.runId, filter.runId));
  if (filter.model !== undefined) where.push(eq(alerts.model, filter.model));
  if (filter.region !== undefined) where.push(eq(alerts.region, filter.region));
  if (filter.metric !== undefined) where.push(eq(alerts.metric, filter.metric));
  if (filter.fromMs !== undefined) where.push(gte(alerts.createdAtMs, filter.fromMs));
  return openDatabase(d1)
    .select()
    .from(alerts)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(alerts.createdAtMs), desc(alerts.id))
    .limit(filter.limit);
}

/** Pending alerts whose next attempt is due, oldest due first. */
export async function dueAlerts(d1: D1Database, nowMs: number, limit: number): Promise<AlertRow[]> {
  return openDatabase(d1)
    .select()
    .from(alerts)
    .where(and(eq(alerts.webhookState, 'pending'), lte(alerts.nextAttemptMs, nowMs)))
    .orderBy(alerts.nextAttemptMs, alerts.id)
    .limit(limit);
}

/**
 * Claims a due alert for one delivery attempt: pushes its next attempt `leaseMs` ahead, only if it
 * is still pending and due. true when this caller won it; a concurrent tick then sees it not due.
 */
export async function claimAlert(
  d1: D1Database,
  id: string,
  nowMs: number,
  leaseMs: number,
): Promise<boolean> {
  const result = await d1
    .prepare(
      "UPDATE alerts SET next_attempt_ms = ? WHERE id = ? AND webhook_state = 'pending' AND next_attempt_ms <= ?",
    )
    .bind(nowMs + leaseMs, id, nowMs)
    .run();
  return result.meta.changes === 1;
}

/** Records the outcome of a claimed attempt. */
export async function settleAlert(
  d1: D1Database,
  id: string,
  update: { webhookState: AlertRow['webhookState']; attempts: number; nextAttemptMs: number },
): Promise<void> {
  await openDatabase(d1).update(alerts).set(update).where(eq(alerts.id, id));
}

// Schedule rows in D1 and the record of each due time handled (docs/schedules.md).
import { and, asc, desc, eq, gt, inArray, isNotNull, lt, or, sql } from 'drizzle-orm';
import type { StartOutcome } from '../../core/api/schedule-api-schemas.ts';
import { openDatabase } from './database.ts';
import { newestFirstPage } from './newest-first.ts';
import { type ScheduleRow, type ScheduleStartRow, scheduleStarts, schedules } from './schema.ts';

export type NewSchedule = Omit<ScheduleRow, 'lastDueMs'>;

export async function createSchedule(d1: D1Database, schedule: NewSchedule): Promise<boolean> {
  const result = await openDatabase(d1)
    .insert(schedules)
    .values({ ...schedule, lastDueMs: null })
    .onConflictDoNothing();
  return result.meta.changes > 0;
}

export async function getSchedule(d1: D1Database, id: string): Promise<ScheduleRow | null> {
  return (await openDatabase(d1).select().from(schedules).where(eq(schedules.id, id)).get()) ?? null;
}

/** Schedules newest first (ties broken by id), a page at a time; `next` is null on the last page. */
export async function listSchedules(
  d1: D1Database,
  options: { limit: number; cursor?: string },
): Promise<{ schedules: ScheduleRow[]; next: string | null }> {
  const page = await newestFirstPage(schedules, options, (where, orderBy, limit) =>
    openDatabase(d1)
      .select()
      .from(schedules)
      .where(where)
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { schedules: page.rows, next: page.next };
}

/** Enabled schedules, oldest first, at most `limit` (the cron's bounded work per tick). */
/** What the cron needs to tell whether an enabled schedule is due (not its start, which can be large). */
export type ScheduleTiming = Pick<
  ScheduleRow,
  'id' | 'createdAtMs' | 'cron' | 'timezone' | 'lastDueMs' | 'sinceMs'
>;

/** Enabled schedules oldest first, a page at a time after `after` (keyset on created_at_ms, id). */
export async function enabledSchedulesPage(
  d1: D1Database,
  after: { createdAtMs: number; id: string } | null,
  limit: number,
): Promise<ScheduleTiming[]> {
  const enabled = eq(schedules.enabled, true);
  return openDatabase(d1)
    .select({
      id: schedules.id,
      createdAtMs: schedules.createdAtMs,
      cron: schedules.cron,
      timezone: schedules.timezone,
      lastDueMs: schedules.lastDueMs,
      sinceMs: schedules.sinceMs,
    })
    .from(schedules)
    .where(
      after === null
        ? enabled
        : and(
            enabled,
            or(
              gt(schedules.createdAtMs, after.createdAtMs),
              and(eq(schedules.createdAtMs, after.createdAtMs), gt(schedules.id, after.id)),
            ),
          ),
    )
    .orderBy(asc(schedules.createdAtMs), asc(schedules.id))
    .limit(limit);
}

/** How many schedules are stored (enabled or paused). */
export async function countSchedules(d1: D1Database): Promise<number> {
  const row = await openDatabase(d1).select({ n: sql<number>`count(*)` }).from(schedules).get();
  return row?.n ?? 0;
}

export type SchedulePatch = Partial<
  Pick<ScheduleRow, 'name' | 'cron' | 'timezone' | 'enabled' | 'sinceMs' | 'alertWebhookSecret'>
>;

export async function updateSchedule(d1: D1Database, id: string, patch: SchedulePatch): Promise<boolean> {
  const result = await openDatabase(d1).update(schedules).set(patch).where(eq(schedules.id, id));
  return result.meta.changes > 0;
}

/** Deletes a schedule and its start records in one batch; false when there was none. */
export async function deleteSchedule(d1: D1Database, id: string): Promise<boolean> {
  const db = openDatabase(d1);
  const [deleted] = await db.batch([
    db.delete(schedules).where(eq(schedules.id, id)),
    db.delete(scheduleStarts).where(eq(scheduleStarts.scheduleId, id)),
  ]);
  return deleted.meta.changes > 0;
}

/** Moves last_due_ms forward only (a slower tick never moves it back). */
export async function advanceLastDue(d1: D1Database, id: string, dueMs: number): Promise<void> {
  await openDatabase(d1)
    .update(schedules)
    .set({ lastDueMs: dueMs })
    .where(
      and(eq(schedules.id, id), or(sql`${schedules.lastDueMs} IS NULL`, lt(schedules.lastDueMs, dueMs))),
    );
}

/**
 * Records one due time, in one `INSERT … ON CONFLICT DO NOTHING`: true only for the call that added
 * the row — that caller, and no other, starts the run.
 */
export async function claimStart(d1: D1Database, start: ScheduleStartRow): Promise<boolean> {
  const result = await openDatabase(d1).insert(scheduleStarts).values(start).onConflictDoNothing();
  return result.meta.changes > 0;
}

export async function setStartOutcome(
  d1: D1Database,
  scheduleId: string,
  dueMs: number,
  outcome: StartOutcome,
  reason: string | null,
): Promise<void> {
  await openDatabase(d1)
    .update(scheduleStarts)
    .set({ outcome, reason })
    .where(and(eq(scheduleStarts.scheduleId, scheduleId), eq(scheduleStarts.dueMs, dueMs)));
}

/** The schedule's most recent starts, newest first. */
export async function recentStarts(
  d1: D1Database,
  scheduleId: string,
  limit: number,
): Promise<ScheduleStartRow[]> {
  return openDatabase(d1)
    .select()
    .from(scheduleStarts)
    .where(eq(scheduleStarts.scheduleId, scheduleId))
    .orderBy(desc(scheduleStarts.dueMs))
    .limit(limit);
}

/** The run ids of the schedule's latest start that started any (empty when none did). */
export async function lastStartedRunIds(d1: D1Database, scheduleId: string): Promise<string[]> {
  const row = await openDatabase(d1)
    .select({ runIdsJson: scheduleStarts.runIdsJson })
    .from(scheduleStarts)
    .where(and(eq(scheduleStarts.scheduleId, scheduleId), isNotNull(scheduleStarts.runIdsJson)))
    .orderBy(desc(scheduleStarts.dueMs))
    .get();
  return row?.runIdsJson ? (JSON.parse(row.runIdsJson) as string[]) : [];
}

/** The webhook secret names of these schedules (those that set one), by schedule id. */
export async function scheduleWebhookSecrets(
  d1: D1Database,
  scheduleIds: readonly string[],
): Promise<Map<string, string>> {
  if (scheduleIds.length === 0) return new Map();
  const rows = await openDatabase(d1)
    .select({ id: schedules.id, secret: schedules.alertWebhookSecret })
    .from(schedules)
    .where(and(inArray(schedules.id, [...scheduleIds]), isNotNull(schedules.alertWebhookSecret)));
  return new Map(rows.flatMap((r) => (r.secret === null ? [] : [[r.id, r.secret] as const])));
}

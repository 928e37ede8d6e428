import type { ScheduleStartRecord } from '../../core/api/schedule-api-schemas.ts';
import { isTerminal } from '../../core/run/run-state.ts';
import { dueNow } from '../../core/schedule/due-time.ts';
import {
  type StartItem,
  scheduledRunIds,
  scheduleStartSchema,
  startItems,
} from '../../core/schedule/schedule.ts';
import { profileRunId, startProfile } from '../profiles/start-profile.ts';
import { startRun } from '../runs/start-run.ts';
import { startSearch } from '../searches/start-search.ts';
import { getRun } from '../storage/runs-store.ts';
import {
  advanceLastDue,
  claimStart,
  enabledSchedulesPage,
  getSchedule,
  lastStartedRunIds,
  type ScheduleTiming,
  setStartOutcome,
} from '../storage/schedules-store.ts';
import type { ScheduleRow, ScheduleStartRow } from '../storage/schema.ts';
import { getSearch } from '../storage/searches-store.ts';

// The cron's work (docs/schedules.md): one trigger every minute; each tick starts what is due.

/** Due schedules started per tick at most: bounds one invocation's D1 queries (about 4 per due schedule, plus its starts). */
export const DUE_STARTS_PER_TICK = 50;
/** Schedules stored at most (POST /v1/schedules refuses more): every tick can read them all. */
export const MAX_SCHEDULES = 10_000;
/** Enabled schedules read per D1 query while looking for due ones (their timing only). */
const SCAN_PAGE = 1_000;

export interface TickSummary {
  /** Enabled schedules looked at (all of them, up to MAX_SCHEDULES). */
  examined: number;
  started: number;
  skipped: number;
  failed: number;
  /** Due schedules left for the next tick (more than DUE_STARTS_PER_TICK were due). */
  deferred: number;
}

/**
 * Starts the enabled schedules due at `scheduledTimeMs` (the tick's controller.scheduledTime). Every
 * enabled schedule is looked at (pages of their timing; telling whether one is due is pure CPU);
 * of the due ones at most DUE_STARTS_PER_TICK start, those waiting longest first (oldest due time,
 * then oldest schedule). The rest stay due: the next tick starts them, a minute late, or coalesced
 * into a newer due time when one has come meanwhile.
 */
export async function runDueSchedules(env: Env, scheduledTimeMs: number): Promise<TickSummary> {
  const due: { row: ScheduleTiming; dueMs: number; coalesced: number }[] = [];
  let examined = 0;
  let after: ScheduleTiming | null = null;
  while (examined < MAX_SCHEDULES) {
    const page = await enabledSchedulesPage(env.DB, after, Math.min(SCAN_PAGE, MAX_SCHEDULES - examined));
    examined += page.length;
    for (const row of page) {
      const found = dueNow({
        cron: row.cron,
        timezone: row.timezone,
        lastDueMs: row.lastDueMs,
        sinceMs: row.sinceMs,
        nowMs: scheduledTimeMs,
      });
      if (found !== null) due.push({ row, ...found });
    }
    if (page.length < SCAN_PAGE) break;
    after = page[page.length - 1]!;
  }
  due.sort(
    (a, b) => a.dueMs - b.dueMs || a.row.createdAtMs - b.row.createdAtMs || (a.row.id < b.row.id ? -1 : 1),
  );
  const now = due.slice(0, DUE_STARTS_PER_TICK);
  const summary: TickSummary = {
    examined,
    started: 0,
    skipped: 0,
    failed: 0,
    deferred: due.length - now.length,
  };
  for (const { row: timing, dueMs, coalesced } of now) {
    let record: ScheduleStartRecord | null;
    try {
      const row = await getSchedule(env.DB, timing.id);
      if (row === null || !row.enabled) continue; // deleted or paused since the scan
      record = await startAt(env, row, dueMs, 'cron', coalesced);
    } catch (error) {
      // A storage failure on one schedule does not stop the others; its due time is retried by the
      // next tick unless its start row was already claimed.
      console.error(
        `schedule ${timing.id} at ${dueMs}: ${error instanceof Error ? error.message : String(error)}`,
      );
      summary.failed += 1;
      continue;
    }
    if (record === null) continue; // another tick handled this due time
    if (record.outcome === 'started') summary.started += 1;
    else if (record.outcome === 'skipped_running') summary.skipped += 1;
    else summary.failed += 1;
  }
  return summary;
}

/**
 * Handles one due time of one schedule: claims its row (null when another tick already had), then
 * skips when the schedule's previous run is still queued or running, else starts the run under the
 * deterministic id. A manual trigger starts even while a previous run is going.
 */
export async function startAt(
  env: Env,
  row: ScheduleRow,
  dueMs: number,
  trigger: 'cron' | 'manual',
  coalesced: number,
): Promise<ScheduleStartRecord | null> {
  const start = scheduleStartSchema.parse(JSON.parse(row.startJson));
  const runIds = scheduledRunIds(row.id, dueMs, start);
  const previous = trigger === 'cron' ? await runningRunId(env, row.id) : null;
  const record: ScheduleStartRow = {
    scheduleId: row.id,
    dueMs,
    trigger,
    runIdsJson: previous === null ? JSON.stringify(runIds) : null,
    outcome: previous === null ? 'started' : 'skipped_running',
    coalesced,
    reason: previous === null ? null : `${previous} of this schedule is still running`,
    atMs: Date.now(),
  };
  if (!(await claimStart(env.DB, record))) return null;
  if (trigger === 'cron') await advanceLastDue(env.DB, row.id, dueMs);
  if (record.outcome === 'started') {
    const items = startItems(start);
    const failures: string[] = [];
    // A suite's items start together; one refused (e.g. a secret deleted since) does not stop the others.
    for (const [i, item] of items.entries()) {
      const runId = runIds[i] as string;
      try {
        await startItem(env, item, runId);
      } catch (error) {
        failures.push(`${runId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length > 0) {
      // Data, not an exception: the record says why.
      record.outcome = 'failed';
      record.reason =
        `${failures.length} of ${items.length} start(s) could not start: ${failures.join('; ')}`.slice(
          0,
          2_000,
        );
      await setStartOutcome(env.DB, row.id, dueMs, record.outcome, record.reason);
    }
  }
  return startRecord(record);
}

/** Starts one item under its deterministic id (scheduledRunIds); throws ApiError when refused. */
async function startItem(env: Env, item: StartItem, id: string): Promise<void> {
  if (item.kind === 'run') await startRun(env, item.config, id);
  else if (item.kind === 'profile') await startProfile(env, item.request, id);
  else await startSearch(env, item.request, id);
}

/**
 * A run, profile or search of the schedule's latest start that is still queued or running, or
 * null. The kind is read from the id's prefix (scheduledRunIds): a profile is running while its run
 * is; a search while its row is queued or running (its probes are its own runs).
 */
async function runningRunId(env: Env, scheduleId: string): Promise<string | null> {
  for (const id of await lastStartedRunIds(env.DB, scheduleId)) {
    if (id.startsWith('search-')) {
      const search = await getSearch(env.DB, id);
      if (search !== null && (search.state === 'queued' || search.state === 'running')) return id;
      continue;
    }
    const run = await getRun(env.DB, id.startsWith('prof-') ? profileRunId(id) : id);
    if (run !== null && !isTerminal(run.state)) return id;
  }
  return null;
}

export function startRecord(row: ScheduleStartRow): ScheduleStartRecord {
  return {
    due_ms: row.dueMs,
    trigger: row.trigger,
    outcome: row.outcome,
    run_ids: row.runIdsJson === null ? [] : (JSON.parse(row.runIdsJson) as string[]),
    coalesced: row.coalesced,
    reason: row.reason,
    at_ms: row.atMs,
  };
}

import type { ScheduleStartRecord } from '../../core/api/schedule-api-schemas.ts';
import { isTerminal } from '../../core/run/run-state.ts';
import { dueNow } from '../../core/schedule/due-time.ts';
import { scheduledStartId, scheduleStartSchema } from '../../core/schedule/schedule.ts';
import { startRun } from '../runs/start-run.ts';
import { getRun } from '../storage/runs-store.ts';
import {
  advanceLastDue,
  claimStart,
  lastStartedRunId,
  listEnabledSchedules,
  setStartOutcome,
} from '../storage/schedules-store.ts';
import type { ScheduleRow, ScheduleStartRow } from '../storage/schema.ts';

// The cron's work (docs/schedules.md): one trigger every minute; each tick starts what is due.

/** Schedules looked at per tick: bounds one invocation's D1 queries (about 4 per due schedule). */
export const SCHEDULES_PER_TICK = 50;

export interface TickSummary {
  examined: number;
  started: number;
  skipped: number;
  failed: number;
}

/** Starts every enabled schedule due at `scheduledTimeMs` (the tick's controller.scheduledTime). */
export async function runDueSchedules(env: Env, scheduledTimeMs: number): Promise<TickSummary> {
  const rows = await listEnabledSchedules(env.DB, SCHEDULES_PER_TICK);
  const summary: TickSummary = { examined: rows.length, started: 0, skipped: 0, failed: 0 };
  for (const row of rows) {
    const due = dueNow({
      cron: row.cron,
      timezone: row.timezone,
      lastDueMs: row.lastDueMs,
      sinceMs: row.sinceMs,
      nowMs: scheduledTimeMs,
    });
    if (due === null) continue;
    let record: ScheduleStartRecord | null;
    try {
      record = await startAt(env, row, due.dueMs, 'cron', due.coalesced);
    } catch (error) {
      // A storage failure on one schedule does not stop the others; its due time is retried by the
      // next tick unless its start row was already claimed.
      console.error(
        `schedule ${row.id} at ${due.dueMs}: ${error instanceof Error ? error.message : String(error)}`,
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
  const runId = scheduledStartId(row.id, dueMs);
  const previous = trigger === 'cron' ? await runningRunId(env, row.id) : null;
  const start: ScheduleStartRow = {
    scheduleId: row.id,
    dueMs,
    trigger,
    runId: previous === null ? runId : null,
    outcome: previous === null ? 'started' : 'skipped_running',
    coalesced,
    reason: previous === null ? null : `run ${previous} of this schedule is still running`,
    atMs: Date.now(),
  };
  if (!(await claimStart(env.DB, start))) return null;
  if (trigger === 'cron') await advanceLastDue(env.DB, row.id, dueMs);
  if (start.outcome === 'started') {
    try {
      const { config } = scheduleStartSchema.parse(JSON.parse(row.startJson));
      await startRun(env, config, runId);
    } catch (error) {
      // Data, not an exception: the record says why (e.g. a secret removed since the schedule was made).
      start.outcome = 'failed';
      start.reason = error instanceof Error ? error.message : String(error);
      await setStartOutcome(env.DB, row.id, dueMs, start.outcome, start.reason);
    }
  }
  return startRecord(start);
}

async function runningRunId(env: Env, scheduleId: string): Promise<string | null> {
  const id = await lastStartedRunId(env.DB, scheduleId);
  if (id === null) return null;
  const run = await getRun(env.DB, id);
  return run !== null && !isTerminal(run.state) ? id : null;
}

export function startRecord(row: ScheduleStartRow): ScheduleStartRecord {
  return {
    due_ms: row.dueMs,
    trigger: row.trigger,
    outcome: row.outcome,
    run_id: row.runId,
    coalesced: row.coalesced,
    reason: row.reason,
    at_ms: row.atMs,
  };
}

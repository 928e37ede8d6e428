import { z } from 'zod';
import { scheduleStartSchema } from '../schedule/schedule.ts';

// The bodies of the schedule routes (src/worker/api/schedules-routes.ts), pure zod: the routes declare
// them in /openapi.json and the CLI checks what it receives against them.

export const START_OUTCOMES = ['started', 'skipped_running', 'failed'] as const;
export type StartOutcome = (typeof START_OUTCOMES)[number];
export const START_TRIGGERS = ['cron', 'manual'] as const;

/** How many of a schedule's most recent starts `GET /v1/schedules/{id}` shows. */
export const RECENT_STARTS = 20;

/** What happened at one due time (or one manual trigger); also `POST /v1/schedules/{id}/trigger` → 201. */
export const scheduleStartRecordSchema = z.object({
  due_ms: z.number().int(),
  trigger: z.enum(START_TRIGGERS),
  outcome: z.enum(START_OUTCOMES),
  /** The runs, profiles (`prof-sched-…`) and searches (`search-sched-…`) started (deterministic: `sched-<schedule id>-<due ms>`, a suite's with `-<index>`); empty when skipped. */
  run_ids: z.array(z.string()),
  /** Earlier due times (missed during downtime) this start stands for; they did not start. */
  coalesced: z.number().int(),
  reason: z.string().nullable(),
  at_ms: z.number().int(),
});
export type ScheduleStartRecord = z.infer<typeof scheduleStartRecordSchema>;

export const scheduleEntrySchema = z.object({
  id: z.string(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  enabled: z.boolean(),
  created_at_ms: z.number().int(),
  /** The last due time the cron handled (started or skipped); null before the first. */
  last_due_ms: z.number().int().nullable(),
  /** The next due time after now, from the expression in its time zone; null when paused. */
  next_due_ms: z.number().int().nullable(),
  /** The secret NAME whose URL this schedule's alerts go to (null: the global setting); never the URL. */
  alert_webhook_secret: z.string().nullable().optional(),
});
export type ScheduleEntry = z.infer<typeof scheduleEntrySchema>;

/** `POST /v1/schedules` → 201, `GET|PATCH /v1/schedules/{id}` → 200. */
export const scheduleDetailSchema = scheduleEntrySchema.extend({
  start: scheduleStartSchema,
  /** The most recent starts, newest first (at most RECENT_STARTS). */
  starts: z.array(scheduleStartRecordSchema),
});
export type ScheduleDetail = z.infer<typeof scheduleDetailSchema>;

/** `GET /v1/schedules` → 200: newest first. */
export const scheduleListSchema = z.object({
  schedules: z.array(scheduleEntrySchema),
  next: z.string().nullable(),
});

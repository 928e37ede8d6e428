import { Cron } from 'croner';
import { z } from 'zod';
import { runConfigSchema } from '../run/run-config.ts';

// A schedule (docs/schedules.md): a name, a 5-field cron expression read in an IANA time zone, what
// to start at each due time, and whether it is enabled. Validated here, before anything is stored.

export const SCHEDULE_NAME_MAX_CHARS = 200;
/** A cron expression is five fields; longer strings are refused before croner reads them. */
export const CRON_MAX_CHARS = 200;
export const TIMEZONE_MAX_CHARS = 64;

/** Why a cron expression is refused, or undefined when it is a valid 5-field expression. */
export function cronProblem(expression: string, timezone = 'UTC'): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5)
    return `a cron expression has 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  try {
    new Cron(expression, { timezone, paused: true });
    return undefined;
  } catch (error) {
    // croner throws TypeError/RangeError with a description of the bad field.
    return error instanceof Error ? error.message : String(error);
  }
}

/** True for a time zone name the runtime's Intl knows (IANA names such as Europe/Berlin, or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const cronSchema = z
  .string()
  .min(1)
  .max(CRON_MAX_CHARS)
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

export const timezoneSchema = z
  .string()
  .min(1)
  .max(TIMEZONE_MAX_CHARS)
  .refine(isTimeZone, { message: 'not an IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC)' });

/** What a schedule starts at each due time. Profiles, searches and suites are not schedulable yet. */
export const scheduleStartSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('run'), config: runConfigSchema }),
]);

/** `POST /v1/schedules`. */
export const scheduleRequestSchema = z.strictObject({
  name: z.string().min(1).max(SCHEDULE_NAME_MAX_CHARS),
  cron: cronSchema,
  timezone: timezoneSchema.default('UTC'),
  start: scheduleStartSchema,
  enabled: z.boolean().default(true),
});
export type ScheduleRequest = z.infer<typeof scheduleRequestSchema>;

/** `PATCH /v1/schedules/{id}`: any of these; at least one. */
export const scheduleUpdateSchema = z
  .strictObject({
    name: scheduleRequestSchema.shape.name.optional(),
    cron: cronSchema.optional(),
    timezone: timezoneSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((update) => Object.keys(update).length > 0, { message: 'nothing to update' });

/** The id of what a schedule starts at one due time: the same for every tick that sees that due time. */
export function scheduledStartId(scheduleId: string, dueMs: number): string {
  return `sched-${scheduleId}-${dueMs}`;
}

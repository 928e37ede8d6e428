import { Cron } from 'croner';
import { z } from 'zod';
import { type RunConfig, runConfigSchema } from '../run/run-config.ts';

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

/** Runs in one suite: each due time starts them all at once. */
export const SUITE_MAX_RUNS = 10;

/**
 * What a schedule starts at each due time: one run, or a suite of runs started together (e.g. the
 * same workload against several providers). Profiles and capacity searches are not schedulable yet.
 */
export const scheduleStartSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('run'), config: runConfigSchema }),
  z.strictObject({ kind: z.literal('suite'), runs: z.array(runConfigSchema).min(1).max(SUITE_MAX_RUNS) }),
]);
type ScheduleStart = z.infer<typeof scheduleStartSchema>;

/** The run configs a start holds, in order. */
export function startConfigs(start: ScheduleStart): RunConfig[] {
  return start.kind === 'run' ? [start.config] : start.runs;
}

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

/**
 * The ids of the runs a schedule starts at one due time: the same for every tick that sees that due
 * time. One run: `sched-<schedule id>-<due ms>`; a suite's: `…-<due ms>-<index>`.
 */
export function scheduledRunIds(scheduleId: string, dueMs: number, start: ScheduleStart): string[] {
  const base = `sched-${scheduleId}-${dueMs}`;
  return start.kind === 'run' ? [base] : start.runs.map((_, i) => `${base}-${i}`);
}

/**
 * The schedule that started a run, read back from its id (`scheduledRunIds`; schedule ids are
 * `sch-<time>-<random>`, base 36); null for a run started by hand.
 */
export function scheduleIdOfRun(runId: string): string | null {
  return /^sched-(sch-[0-9a-z]+-[0-9a-z]+)-\d+(?:-\d+)?$/.exec(runId)?.[1] ?? null;
}

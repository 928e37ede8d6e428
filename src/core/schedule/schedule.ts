import { Cron } from 'croner';
import { z } from 'zod';
import { searchRequestSchema } from '../campaign/search-request.ts';
import { profileRequestSchema } from '../profile/profile-request.ts';
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

/** Starts in one suite: each due time starts them all at once. */
export const SUITE_MAX_RUNS = 10;

/** One thing a schedule starts: a run, a prefill profile or a capacity search (the bodies POST /v1/runs, /v1/profiles and /v1/searches accept). */
const startItemSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('run'), config: runConfigSchema }),
  z.strictObject({ kind: z.literal('profile'), request: profileRequestSchema }),
  z.strictObject({ kind: z.literal('search'), request: searchRequestSchema }),
]);
export type StartItem = z.infer<typeof startItemSchema>;
export type StartKind = StartItem['kind'];

/**
 * What a schedule starts at each due time: one run, profile or search, or a suite started together
 * (e.g. the same workload against several providers): `runs` (run configs) or `starts` (any mix of
 * runs, profiles and searches), 1 to SUITE_MAX_RUNS of them.
 */
export const scheduleStartSchema = z.discriminatedUnion('kind', [
  ...startItemSchema.options,
  z.strictObject({
    kind: z.literal('suite'),
    runs: z.array(runConfigSchema).min(1).max(SUITE_MAX_RUNS).optional(),
    starts: z.array(startItemSchema).min(1).max(SUITE_MAX_RUNS).optional(),
  }),
]);
type ScheduleStart = z.infer<typeof scheduleStartSchema>;

/** A suite names exactly one of `runs` and `starts` (checked where the start is a request field). */
function suiteProblem(start: ScheduleStart): string | undefined {
  if (start.kind !== 'suite') return undefined;
  if ((start.runs === undefined) === (start.starts === undefined))
    return 'a suite has either `runs` (run configs) or `starts` (runs, profiles and searches), not both or neither';
  return undefined;
}

/** What a start holds, in order, each as one item. */
export function startItems(start: ScheduleStart): StartItem[] {
  if (start.kind !== 'suite') return [start];
  return start.starts ?? (start.runs ?? []).map((config) => ({ kind: 'run' as const, config }));
}

/**
 * The name (never the value) of the Worker secret holding the webhook URL this schedule's alerts
 * are POSTed to; unset, the global ALERT_WEBHOOK_SECRET applies. Checked against the Worker's
 * secrets when the schedule is created or updated.
 */
export const alertWebhookSecretSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'a secret name: a letter or _, then letters, digits or _ (≤ 100)');

/** `POST /v1/schedules`. */
export const scheduleRequestSchema = z.strictObject({
  name: z.string().min(1).max(SCHEDULE_NAME_MAX_CHARS),
  cron: cronSchema,
  timezone: timezoneSchema.default('UTC'),
  start: scheduleStartSchema.superRefine((start, ctx) => {
    const problem = suiteProblem(start);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  }),
  enabled: z.boolean().default(true),
  alert_webhook_secret: alertWebhookSecretSchema.optional(),
});
export type ScheduleRequest = z.infer<typeof scheduleRequestSchema>;

/** `PATCH /v1/schedules/{id}`: any of these; at least one. */
export const scheduleUpdateSchema = z
  .strictObject({
    name: scheduleRequestSchema.shape.name.optional(),
    cron: cronSchema.optional(),
    timezone: timezoneSchema.optional(),
    enabled: z.boolean().optional(),
    /** null: back to the global ALERT_WEBHOOK_SECRET. */
    alert_webhook_secret: alertWebhookSecretSchema.nullable().optional(),
  })
  .refine((update) => Object.keys(update).length > 0, { message: 'nothing to update' });

/** The target an item benchmarks. */
export function startTarget(item: StartItem): { base_url: string; model: string } {
  if (item.kind === 'run') return item.config.target;
  if (item.kind === 'profile') return item.request.target;
  return item.request.template.target;
}

/** The id prefix of what a schedule starts, by kind (profiles and searches keep their own prefix). */
const KIND_PREFIX: Record<StartKind, string> = { run: '', profile: 'prof-', search: 'search-' };

/**
 * The ids of what a schedule starts at one due time: the same for every tick that sees that due
 * time. One run: `sched-<schedule id>-<due ms>`; a suite's items: `…-<due ms>-<index>`; a profile's
 * id starts `prof-sched-…` (its run `prof-sched-…-run`) and a search's `search-sched-…`.
 */
export function scheduledRunIds(scheduleId: string, dueMs: number, start: ScheduleStart): string[] {
  const base = `sched-${scheduleId}-${dueMs}`;
  if (start.kind !== 'suite') return [`${KIND_PREFIX[start.kind]}${base}`];
  return startItems(start).map((item, i) => `${KIND_PREFIX[item.kind]}${base}-${i}`);
}

/**
 * The schedule that started a run, profile or search, read back from its id (`scheduledRunIds`, and
 * a profile's run `…-run`; schedule ids are `sch-<time>-<random>`, base 36); null for one started by hand.
 */
export function scheduleIdOfRun(runId: string): string | null {
  return /^(?:prof-|search-)?sched-(sch-[0-9a-z]+-[0-9a-z]+)-\d+(?:-\d+)?(?:-run)?$/.exec(runId)?.[1] ?? null;
}
